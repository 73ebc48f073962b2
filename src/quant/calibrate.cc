// Calibration: run the fp32 model with inr's Session on preprocessed images, batch by batch, and stream
// every tensor to be quantized through its Observer. The observed tensors are made graph outputs of a
// clone run at opt level 0 (shape inference only), so their names survive and nothing is fused away.
// Memory: one batch of the observed activations at a time plus the fixed-size observers.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "image/batch_loader.h"
#include "inr/session.h"
#include "quant/quantize.h"

namespace inr::quant {

Result<std::map<std::string, Observer>> calibrate(const Graph& graph, const std::vector<std::string>& tensors,
                                                  const CalibData& data, int bins, bool histogram,
                                                  QuantReport& report) {
  if (data.paths.empty()) return error("no calibration images");
  INR_TRY(Histogram::validate_bins(bins));
  INR_ASSIGN_OR_RETURN(Graph g, graph.clone());
  if (g.inputs.size() != 1) return error("calibration needs a model with one input, this one has {}", g.inputs.size());
  const size_t first_extra = g.outputs.size();
  std::vector<std::string> names;
  for (const std::string& t : tensors) {
    Value* v = g.find_value(t);
    if (!v) return error("tensor '{}' not found in the graph", t);
    names.push_back(t);
    g.outputs.push_back(v);
  }
  SessionOptions so;
  so.opt_level = 0;
  INR_ASSIGN_OR_RETURN(auto session, Session::create(std::make_unique<Graph>(std::move(g)), so));

  image::BatchLoader loader(data.spec, data.decode);
  Shape image_shape = loader.image_shape();
  const IoInfo& in = session->inputs()[0];
  if (in.shape.size() != image_shape.size() + 1)
    return error("preprocessing gives images of {} but the model input '{}' is {}", shape_str(image_shape), in.name,
                 shape_str(in.shape));
  for (size_t i = 0; i < image_shape.size(); ++i)
    if (in.shape[i + 1] >= 0 && in.shape[i + 1] != image_shape[i])
      return error("preprocessing gives images of {} but the model input '{}' is {}", shape_str(image_shape), in.name,
                   shape_str(in.shape));
  if (in.dtype != image::output_dtype(data.spec))
    return error("preprocessing gives {} but the model input is {}", dtype_name(image::output_dtype(data.spec)),
                 dtype_name(in.dtype));
  // A model with a fixed batch dim runs at that batch size.
  size_t batch = in.shape.empty() || in.shape[0] < 0 ? static_cast<size_t>(std::max(1, data.batch))
                                                     : static_cast<size_t>(in.shape[0]);

  std::map<std::string, Observer> observers;
  for (const auto& n : names) observers.emplace(n, Observer(bins, histogram));
  std::vector<Observer*> obs;
  for (const auto& n : names) obs.push_back(&observers.at(n));

  // This shard's batches (CalibData: shards split batches, so each is a batch of the one-process run).
  if (data.shard_count < 1 || data.shard_index < 1 || data.shard_index > data.shard_count)
    return error("calibration shard {}/{}: K must be in 1..N", data.shard_index, data.shard_count);
  const size_t batches = (data.paths.size() + batch - 1) / batch;
  const size_t first_batch = batches * static_cast<size_t>(data.shard_index - 1) / static_cast<size_t>(data.shard_count);
  const size_t end_batch = batches * static_cast<size_t>(data.shard_index) / static_cast<size_t>(data.shard_count);
  const size_t begin = first_batch * batch, end = std::min(end_batch * batch, data.paths.size());
  if (begin >= end)
    return error("calibration shard {}/{} has no images: {} images make {} batch{} of {}; use at most {} shards",
                 data.shard_index, data.shard_count, data.paths.size(), batches, batches == 1 ? "" : "es", batch,
                 batches);

  std::vector<image::BatchFailure> failures;
  size_t done = 0;
  for (size_t start = begin; start < end; start += batch) {
    size_t n = std::min(batch, end - start);
    std::span<const std::string> paths(data.paths.data() + start, n);
    INR_ASSIGN_OR_RETURN(Tensor x, loader.load(paths, failures));
    size_t good = n - failures.size();
    report.images_failed += failures.size();
    for (const auto& f : failures) report.skipped_images.push_back(f.message);
    if (!failures.empty()) {  // compact the successful images to the front
      std::vector<bool> bad(n, false);
      for (const auto& f : failures) bad[f.index] = true;
      size_t row = x.bytes() / n, w = 0;
      for (size_t i = 0; i < n; ++i)
        if (!bad[i]) {
          if (w != i) std::memmove(static_cast<char*>(x.raw()) + w * row, static_cast<char*>(x.raw()) + i * row, row);
          ++w;
        }
      if (good == 0) continue;
      Shape s = x.shape();
      s[0] = static_cast<int64_t>(good);
      x = x.reshaped(s).clone();
      if (in.shape[0] >= 0 && static_cast<size_t>(in.shape[0]) != good) {
        report.images_failed += good;  // a fixed-batch model cannot run a short batch
        continue;
      }
    }
    if (in.shape[0] >= 0 && static_cast<size_t>(in.shape[0]) != good) {
      report.images_failed += good;
      continue;
    }
    INR_ASSIGN_OR_RETURN(std::vector<Tensor> out, session->run(std::span<const Tensor>(&x, 1)));
    // Observers are independent: one tensor per thread.
    const int64_t count = static_cast<int64_t>(names.size());
#pragma omp parallel for schedule(dynamic)
    for (int64_t i = 0; i < count; ++i) {
      const Tensor& t = out[first_extra + static_cast<size_t>(i)];
      if (t.dtype() == DType::kF32) obs[static_cast<size_t>(i)]->observe(t.span<float>());
    }
    report.images_used += good;
    done += n;
    if (data.progress) data.progress(done, end - begin);
  }
  if (report.images_used == 0)
    return error("none of the {} calibration images could be used (first: {})", end - begin,
                 report.skipped_images.empty() ? std::string("?") : report.skipped_images[0]);
  report.observed_tensors = names.size();
  return observers;
}

}  // namespace inr::quant
