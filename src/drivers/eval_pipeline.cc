#include "drivers/eval_pipeline.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/tensor_size.h"
#include "data/labels.h"
#include "image/batch_loader.h"

namespace inr {

namespace {

using Clock = std::chrono::steady_clock;

// One of the two batch buffers.
struct Slot {
  Tensor input;
  std::vector<image::BatchFailure> failures;
  size_t begin = 0, count = 0;  // samples [begin, begin + count)
  int64_t batch_index = -1;
  double decode_ts_us = 0, decode_dur_us = 0;
  bool ready = false;  // filled by the loader, not yet consumed
};

std::string json_escape(const std::string& s) {
  std::string q = nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return q.substr(1, q.size() - 2);
}

}  // namespace

Result<int> resolve_batch(const Session& session, int requested, const std::string& what) {
  if (session.inputs().size() != 1)
    return error("{}: eval needs a model with one input, this one has {}", what, session.inputs().size());
  const IoInfo& in = session.inputs()[0];
  if (in.shape.empty()) return error("{}: input '{}' has no declared shape", what, in.name);
  const int64_t fixed = in.shape[0];
  if (fixed >= 0) {
    if (requested == 0) return static_cast<int>(fixed);
    if (requested != fixed)
      return error("{}: input '{}' has a fixed batch of {}; use --batch {} (or leave --batch out)", what, in.name,
                   fixed, fixed);
  }
  return requested == 0 ? kDefaultEvalBatch : requested;
}

Result<bool> resolve_overlap(const std::string& pipeline, int inference_threads) {
  if (pipeline == "overlap") return true;
  if (pipeline == "serial") return false;
  if (pipeline != "auto") return error("--pipeline must be auto, overlap or serial, got '{}'", pipeline);
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  int threads = inference_threads > 0 ? inference_threads : omp_get_max_threads();
  return threads < cores;
}

Status prepare_session(Session& session, const image::PreprocessSpec& spec, int batch, const std::string& what) {
  const IoInfo& in = session.inputs()[0];
  Shape per_image = image::output_shape(spec);
  if (shape_numel(per_image) < 0)
    return error("eval needs a preprocessing with a crop size (a fixed image shape)");
  Shape want = {batch};
  want.insert(want.end(), per_image.begin(), per_image.end());
  INR_ASSIGN_OR_RETURN(Shape expected, batch_input_shape(in, batch));
  if (expected != want)
    return error("{}: preprocessing gives {} but input '{}' is {}", what, shape_str(want), in.name,
                 shape_str(expected));
  if (image::output_dtype(spec) != in.dtype)
    return error("{}: preprocessing gives {} but input '{}' is {}", what, dtype_name(image::output_dtype(spec)),
                 in.name, dtype_name(in.dtype));
  INR_ASSIGN_OR_RETURN(std::vector<Shape> outs, session.output_shapes(std::span<const Shape>(&want, 1)));
  if (outs.empty() || outs[0].empty() || outs[0][0] != batch)
    return error("{}: output '{}' is {}, expected [{}, classes]", what, session.outputs()[0].name,
                 outs.empty() ? "missing" : shape_str(outs[0]), batch);
  return Status::ok();
}

Result<Shape> batch_input_shape(const IoInfo& input, int64_t batch) {
  Shape s = input.shape;
  if (s.empty()) return error("input '{}' has no declared shape", input.name);
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 0) {
      if (s[0] >= 0 && s[0] != batch)
        return error("input '{}' has a fixed batch of {}, cannot run batch {}", input.name, s[0], batch);
      s[0] = batch;
    } else if (s[i] < 0) {
      return error("input '{}' has a dynamic dim {} (only the batch dim may be dynamic)", input.name, i);
    }
  }
  // Before anything is allocated for it (bench --batch 1000000 was a bare "out of memory").
  INR_TRY(checked_numel(s, input.dtype, fmt::format("input '{}' at batch {}", input.name, batch)).status());
  return s;
}

Result<int64_t> output_classes(Session& session, const image::PreprocessSpec& spec, int batch) {
  Shape want = {batch};
  Shape per_image = image::output_shape(spec);
  want.insert(want.end(), per_image.begin(), per_image.end());
  INR_ASSIGN_OR_RETURN(std::vector<Shape> outs, session.output_shapes(std::span<const Shape>(&want, 1)));
  if (outs.empty() || outs[0].empty()) return error("the model has no output");
  int64_t n = shape_numel(outs[0]);
  if (n <= 0 || outs[0][0] != batch) return error("output '{}' is {}, expected [{}, classes]", session.outputs()[0].name, shape_str(outs[0]), batch);
  return n / batch;
}

Status check_labels(std::span<const data::Sample> samples, int64_t classes, const std::string& what) {
  for (const data::Sample& s : samples)
    if (s.label >= classes)
      return error("{}: '{}' has label {} but the model scores {} classes (0..{}); wrong --data, --ground-truth or "
                   "class list?",
                   what, s.key, s.label, classes, classes - 1);
  return Status::ok();
}

Result<EvalPipelineStats> run_eval_pipeline(std::span<Session* const> sessions, std::span<const data::Sample> samples,
                                            const EvalPipelineOptions& options, const BatchCallback& on_batch) {
  EvalPipelineStats stats;
  const auto t_start = Clock::now();
  if (samples.empty()) return stats;
  const size_t batch = static_cast<size_t>(options.batch);
  const size_t total = samples.size();
  const size_t n_batches = (total + batch - 1) / batch;

  std::vector<std::string> paths;
  paths.reserve(total);
  for (const data::Sample& s : samples) paths.push_back(s.path);

  image::BatchLoader loader(options.spec, options.decode, options.decode_threads);
  Slot slots[2];
  for (Slot& s : slots) s.input = Tensor::zeros(image::output_dtype(options.spec), loader.batch_shape(batch));

  // Output buffers per session, allocated once (run_into allocates nothing in the steady state).
  std::vector<std::vector<Tensor>> outputs(sessions.size());
  for (size_t m = 0; m < sessions.size(); ++m) {
    Shape in_shape = slots[0].input.shape();
    INR_ASSIGN_OR_RETURN(std::vector<Shape> shapes, sessions[m]->output_shapes(std::span<const Shape>(&in_shape, 1)));
    for (size_t o = 0; o < shapes.size(); ++o)
      outputs[m].push_back(Tensor::empty(sessions[m]->outputs()[o].dtype, shapes[o]));
    if (outputs[m][0].dtype() != DType::kF32)
      return error("output '{}' is {}, expected f32 scores", sessions[m]->outputs()[0].name,
                   dtype_name(outputs[m][0].dtype()));
  }

  std::mutex mu;
  std::condition_variable cv;
  bool abort = false;
  size_t batches_run = 0;  // batches whose inference finished (serial mode decodes batch b after b batches)
  Status loader_status;
  Profiler* prof = options.profiler;

  std::thread loader_thread([&] {
    for (size_t b = 0; b < n_batches; ++b) {
      Slot& slot = slots[b % 2];
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return abort || (!slot.ready && (options.overlap || batches_run >= b)); });
        if (abort) return;
      }
      slot.begin = b * batch;
      slot.count = std::min(batch, total - slot.begin);
      slot.batch_index = static_cast<int64_t>(b);
      const double t0 = prof ? prof->now_us() : 0;  // now_us() only reads the origin: thread-safe
      // A short last batch fills the first `count` images; the rest of the buffer keeps the previous
      // batch's images, which are run (one compiled shape for the whole pass) and ignored.
      Status st = loader.load(std::span<const std::string>(paths).subspan(slot.begin, slot.count), slot.input.raw(),
                              slot.input.bytes(), slot.failures);
      if (prof) {
        slot.decode_ts_us = t0;
        slot.decode_dur_us = prof->now_us() - t0;
      }
      std::lock_guard<std::mutex> lock(mu);
      if (!st) {
        loader_status = st;
        abort = true;
        cv.notify_all();
        return;
      }
      slot.ready = true;
      cv.notify_all();
    }
  });
  auto stop_loader = [&] {
    if (!loader_thread.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      abort = true;
    }
    cv.notify_all();
    loader_thread.join();
  };
  // Joins the loader on every way out, an exception from the callback included.
  struct Joiner {
    decltype(stop_loader)& stop;
    ~Joiner() { stop(); }
  } joiner{stop_loader};

  std::vector<std::vector<data::Prediction>> per_model(sessions.size());
  std::vector<float> probs;
  for (size_t b = 0; b < n_batches; ++b) {
    Slot& slot = slots[b % 2];
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return abort || slot.ready; });
      if (abort) break;
    }
    if (prof)
      prof->add({"decode", "decode", slot.decode_ts_us, slot.decode_dur_us,
                 fmt::format(R"({{"batch": {}, "images": {}, "failed": {}}})", b, slot.count, slot.failures.size())});
    std::vector<double> ms(sessions.size());
    {
      ScopedEvent event(prof, "batch", "batch", fmt::format(R"({{"batch": {}, "images": {}}})", b, slot.count));
      std::vector<double> times;
      for (size_t m = 0; m < sessions.size(); ++m) {
        times.clear();
        for (int r = 0; r < std::max(1, options.repeat); ++r) {
          auto t0 = Clock::now();
          Status st = sessions[m]->run_into(std::span<const Tensor>(&slot.input, 1), outputs[m]);
          times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (!st) {
            stop_loader();
            return st;
          }
        }
        std::sort(times.begin(), times.end());
        ms[m] = times[times.size() / 2];
      }
    }
    // The batch's images are consumed (outputs hold the results): let the loader refill this slot.
    std::vector<image::BatchFailure> failures = std::move(slot.failures);
    const size_t begin = slot.begin, count = slot.count;
    {
      std::lock_guard<std::mutex> lock(mu);
      slot.failures.clear();
      slot.ready = false;
      batches_run = b + 1;
    }
    cv.notify_all();

    std::span<const data::Sample> batch_samples = samples.subspan(begin, count);
    for (size_t m = 0; m < sessions.size(); ++m) {
      const Tensor& y = outputs[m][0];
      const size_t classes = static_cast<size_t>(y.numel()) / batch;
      std::span<const float> all = y.span<float>();
      std::vector<data::Prediction>& preds = per_model[m];
      preds.assign(count, {});
      size_t f = 0;
      for (size_t i = 0; i < count; ++i) {
        data::Prediction& p = preds[i];
        p.path = batch_samples[i].key;
        p.label = batch_samples[i].label;
        while (f < failures.size() && failures[f].index < i) ++f;
        if (f < failures.size() && failures[f].index == i) {
          p.error = failures[f].message;
          continue;
        }
        std::span<const float> scores = all.subspan(i * classes, classes);
        probs.assign(scores.begin(), scores.end());
        if (!data::is_probability_vector(scores)) data::softmax(scores, probs);
        p.top = data::top_k(probs, options.top_k);
        for (int idx : p.top) p.scores.push_back(probs[static_cast<size_t>(idx)]);
        p.ms = ms[m] / static_cast<double>(count);
      }
    }
    Status st = on_batch(batch_samples, per_model);
    if (!st) {
      stop_loader();
      return st;
    }
    stats.images += static_cast<int64_t>(count);
    stats.batches += 1;
    if (options.progress) options.progress(begin + count, total);
  }
  stop_loader();
  if (!loader_status) return loader_status;
  stats.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return stats;
}

Status write_eval_trace(const Profiler& profiler, const std::string& path, const nlohmann::json& other_data) {
  constexpr int kInferenceTid = 1, kLoaderTid = 2;
  std::string out = "{\"displayTimeUnit\": \"ms\", \"otherData\": " +
                    other_data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                    ", \"traceEvents\": [\n";
  out += fmt::format(R"({{"name": "thread_name", "ph": "M", "pid": 1, "tid": {}, "args": {{"name": "inference"}}}},)",
                     kInferenceTid);
  out += "\n";
  out += fmt::format(R"({{"name": "thread_name", "ph": "M", "pid": 1, "tid": {}, "args": {{"name": "loader"}}}})",
                     kLoaderTid);
  out += profiler.track_metadata_json();
  for (const Profiler::Event& e : profiler.events()) {
    // Wall-clock events go to the inference or loader thread; other tracks (the emulated Gemmini's simulated
    // time) keep their own pid/tid.
    const int64_t tid = e.pid != 1 ? e.tid : e.cat == "decode" ? kLoaderTid : kInferenceTid;
    out += fmt::format(",\n{{\"name\": \"{}\", \"cat\": \"{}\", \"ph\": \"X\", \"ts\": {:.3f}, \"dur\": {:.3f}, \"pid\": {}, "
                       "\"tid\": {}",
                       json_escape(e.name), json_escape(e.cat), e.ts_us, e.dur_us, e.pid, tid);
    if (!e.args_json.empty()) out += ", \"args\": " + e.args_json;
    out += "}";
  }
  out += "\n]}\n";
  return write_file_atomic(path, out);
}

}  // namespace inr
