// optimize_weights (ptq.h): layer by layer in graph order, sample the layer's inputs from the float graph
// and from the working graph (whose upstream weights are already rounded), then round the layer's
// weights (nearest or AdaRound), optionally correct its bias empirically, and write the fake-quantized
// weights back so the next layer sees them.
//
// Bias correction (empirical, AIMET BiasCorrection::correctBias): b -= E[y_q - y_fp] per output channel,
// pre-activation, y_q from the weight-quantized model with corrected upstream layers, y_fp from the float
// model; the expectation is taken over the sampled output positions of every calibration image.
// Analytical (DFQ 4.2, bn_stats.cc): b -= (W_q - W) E[x] with E[x] from the BatchNorm statistics of the
// conv feeding the layer (the float model's input statistics); layers without them get the empirical one.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "core/log.h"
#include "image/batch_loader.h"
#include "quant/ptq.h"

namespace inr::quant {

namespace {

Node* node_of(const Graph& g, const Node* n) {
  Value* v = g.find_value(n->outputs[0]->name);
  return v ? v->producer : nullptr;
}

// Moves the rows of round(holdout x images) images, evenly spread over them, after the other rows in each
// of `sets` (row-major, `rows` rows each, image-major with per_image rows per image); returns the rows of
// the images left in front (all rows when fewer than 2 images).
int64_t hold_out_images(int64_t rows, int64_t per_image, double holdout, const std::vector<std::vector<float>*>& sets) {
  per_image = std::max<int64_t>(1, per_image);
  const int64_t n = rows / per_image;
  if (n < 2) return rows;
  const int64_t held = std::clamp<int64_t>(std::llround(holdout * static_cast<double>(n)), 1, n - 1);
  std::vector<int64_t> order;  // training images, then held-out ones
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t i = 0; i < n; ++i)
      if ((((i + 1) * held) / n > (i * held) / n) == (pass == 1)) order.push_back(i);
  for (std::vector<float>* v : sets) {
    const size_t width = v->size() / static_cast<size_t>(rows), block = width * static_cast<size_t>(per_image);
    std::vector<float> out(v->size());
    for (size_t k = 0; k < order.size(); ++k)
      std::copy_n(v->data() + static_cast<size_t>(order[k]) * block, block, out.data() + k * block);
    *v = std::move(out);
  }
  return (n - held) * per_image;
}

}  // namespace

Result<ImageBatches> load_images(const std::vector<std::string>& all, size_t limit, const image::PreprocessSpec& spec,
                                 const image::DecodeOptions& decode, size_t fixed_batch) {
  std::vector<std::string> paths = all;
  if (limit > 0 && limit < paths.size()) paths.resize(limit);
  image::BatchLoader loader(spec, decode);
  ImageBatches out;
  const size_t batch = fixed_batch > 0 ? fixed_batch : 16;
  std::vector<image::BatchFailure> failures;
  for (size_t start = 0; start < paths.size(); start += batch) {
    size_t n = std::min(batch, paths.size() - start);
    if (fixed_batch > 0 && n < fixed_batch) break;  // a fixed-batch model cannot run a short batch
    INR_ASSIGN_OR_RETURN(Tensor x, loader.load(std::span<const std::string>(paths.data() + start, n), failures));
    if (!failures.empty()) continue;  // calibration reports unreadable images; the samples skip their batch
    out.batches.push_back(std::move(x));
    out.images += n;
  }
  if (out.images == 0 && fixed_batch > 1 && paths.size() < fixed_batch)
    return error("the model's input has a fixed batch of {}; the weight optimisation needs at least {} images, got {}",
                 fixed_batch, fixed_batch, paths.size());
  if (out.images == 0) return error("no calibration image could be read for the weight optimisation");
  return out;
}

Status optimize_weights(Graph& g, const std::vector<Node*>& layers, const ImageBatches& images, const PtqOptions& o,
                        const std::map<std::string, Tensor>& original, std::map<std::string, QParams>& weight_params,
                        std::vector<LayerReport>& report, const BnStatsMap& bn) {
  const bool need_data = o.adaround || !o.bias_correction.empty();
  if (need_data && images.images == 0) return error("the weight optimisation needs calibration images");
  INR_ASSIGN_OR_RETURN(Graph fp, g.clone());  // the float model the targets come from
  g.rebuild_uses();
  fp.rebuild_uses();
  const WeightGrid layer_grid = WeightGrid::of_bits(o.weight_bits);
  const size_t total_iters = layers.size() * static_cast<size_t>(o.adaround ? o.ada.iterations : 1);
  size_t done_iters = 0;
  for (size_t li = 0; li < layers.size(); ++li) {
    Node* n = layers[li];
    INR_ASSIGN_OR_RETURN(Layer lq, make_layer(n, g));
    const WeightGrid grid = o.keep8.count(node_key(n)) ? WeightGrid::of_bits(8) : layer_grid;
    Node* nf = node_of(fp, n);
    if (!nf) return error("{}: not found in the float graph", n->label());
    INR_ASSIGN_OR_RETURN(Layer lf, make_layer(nf, fp));
    LayerReport rep;
    rep.name = node_key(n);
    rep.op = n->op_type;
    rep.bits = grid.bits;
    std::vector<float> scale = weight_scales(lq.w, lq.cout, lq.k, o.per_channel, grid, o.weight_range);
    std::vector<float> rtn = fake_quant_rtn(lq.w, lq.cout, lq.k, scale, grid);
    rep.weight_sqnr_rtn = sqnr_db(lq.w.data(), rtn.data(), rtn.size());
    rep.weight_sqnr_original = rep.weight_sqnr_rtn;
    if (auto it = original.find(rep.name); it != original.end()) {
      Tensor saved = lq.weight->constant;
      lq.weight->constant = it->second;
      Result<Layer> orig = make_layer(n, g);
      lq.weight->constant = saved;
      if (orig) {
        std::vector<float> s0 = weight_scales(orig->w, orig->cout, orig->k, o.per_channel, grid, o.weight_range);
        std::vector<float> r0 = fake_quant_rtn(orig->w, orig->cout, orig->k, s0, grid);
        rep.weight_sqnr_original = sqnr_db(orig->w.data(), r0.data(), r0.size());
      }
    }
    std::vector<float> wq = rtn, bias = lq.bias;
    if (need_data) {
      const int64_t width = lq.group * lq.k;
      const int64_t positions =
          std::clamp<int64_t>(o.sample_budget / std::max<int64_t>(1, static_cast<int64_t>(images.images) * width), 1, o.positions);
      const uint64_t seed = o.ada.seed * 131 + li + 1;
      auto t0 = std::chrono::steady_clock::now();
      INR_ASSIGN_OR_RETURN(SampleSet xf, sample_layer_inputs(fp, lf, images, static_cast<int>(positions), seed));
      std::vector<float> target;
      layer_forward(lf, lf.w, lf.bias, xf, true, target);
      std::vector<float> pre_fp;
      if (!o.bias_correction.empty()) layer_forward(lf, lf.w, lf.bias, xf, false, pre_fp);
      xf = SampleSet{};
      INR_ASSIGN_OR_RETURN(SampleSet xq, sample_layer_inputs(g, lq, images, static_cast<int>(positions), seed));
      rep.samples = xq.rows;
      // AdaRound's held-out images (every 1/holdout-th one), their rows moved after the training rows.
      int64_t train_rows = xq.rows;
      if (o.adaround && o.ada.holdout > 0) {
        std::vector<std::vector<float>*> sets = {&xq.x, &target};
        if (!pre_fp.empty()) sets.push_back(&pre_fp);
        train_rows = hold_out_images(xq.rows, xq.per_image, o.ada.holdout, sets);
      }
      auto t1 = std::chrono::steady_clock::now();
      rep.seconds_sampling = std::chrono::duration<double>(t1 - t0).count();
      std::vector<float> y;
      layer_forward(lq, rtn, lq.bias, xq, true, y);
      rep.output_sqnr_rtn = sqnr_db(target.data(), y.data(), y.size());
      if (o.adaround) {
        size_t base = done_iters;
        auto prog = [&](int it) {
          if (o.progress) o.progress("adaround", base + static_cast<size_t>(it), total_iters);
        };
        AdaRoundResult ar = adaround_layer(lq, scale, grid, xq, target, train_rows, o.ada, prog);
        wq = std::move(ar.w);
        rep.adaround_iteration = ar.iteration;
        rep.heldout_samples = ar.heldout_rows;
        if (ar.heldout_rows > 0) {
          double ref = 0;  // sum of target^2 on the held-out rows
          for (size_t i = static_cast<size_t>(train_rows * lq.cout); i < target.size(); ++i) ref += static_cast<double>(target[i]) * target[i];
          rep.heldout_sqnr_nearest = sqnr_db(ref, ar.heldout_sse_nearest);
          rep.heldout_sqnr_chosen = sqnr_db(ref, ar.heldout_sse_best);
          rep.heldout_sqnr_last = sqnr_db(ref, ar.heldout_sse_last);
        }
        done_iters += static_cast<size_t>(o.ada.iterations);
        rep.seconds_optimising = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      }
      if (!o.bias_correction.empty() && lq.node->op_type != "MatMul") {
        // Analytical where the float model gives E[x] from BatchNorm statistics, else empirical.
        std::vector<double> ex;
        if (o.bias_correction == "analytical") {
          ex = expected_input(lf, bn, rep.bias_note);
          if (!rep.bias_note.empty()) log_debug("ptq: {}: analytical bias correction not possible ({}): empirical", rep.name, rep.bias_note);
        }
        std::vector<double> mean(static_cast<size_t>(lq.cout), 0.0);
        if (!ex.empty()) {
          mean = analytical_bias_shift(lq, wq, ex);
          rep.bias_method = "analytical";
        } else {
          std::vector<float> pre_q;
          layer_forward(lq, wq, lq.bias, xq, false, pre_q);
          for (int64_t r = 0; r < xq.rows; ++r)
            for (int64_t c = 0; c < lq.cout; ++c) {
              size_t i = static_cast<size_t>(r * lq.cout + c);
              mean[static_cast<size_t>(c)] += static_cast<double>(pre_q[i]) - pre_fp[i];
            }
          for (double& m : mean) m = xq.rows ? m / static_cast<double>(xq.rows) : 0.0;
          rep.bias_method = "empirical";
        }
        double shift = 0;
        for (int64_t c = 0; c < lq.cout; ++c) {
          double e = mean[static_cast<size_t>(c)];
          bias[static_cast<size_t>(c)] = static_cast<float>(bias[static_cast<size_t>(c)] - e);
          shift += std::fabs(e);
        }
        rep.bias_shift = shift / static_cast<double>(lq.cout);
      }
      layer_forward(lq, wq, bias, xq, true, y);
      rep.output_sqnr_final = sqnr_db(target.data(), y.data(), y.size());
    }
    rep.weight_sqnr_final = sqnr_db(lq.w.data(), wq.data(), wq.size());
    store_weight(lq, wq);
    if (bias != lq.bias) store_bias(g, lq, bias);
    weight_params[lq.weight->name] = weight_qparams(lq, scale, grid, o.per_channel);
    report.push_back(rep);
    if (o.progress && !o.adaround) o.progress("layers", li + 1, layers.size());
    log_debug("ptq: {} w-sqnr {:.1f} -> {:.1f} dB, out-sqnr {:.1f} -> {:.1f} dB", rep.name, rep.weight_sqnr_rtn,
              rep.weight_sqnr_final, rep.output_sqnr_rtn, rep.output_sqnr_final);
  }
  if (o.progress && o.adaround) o.progress("adaround", total_iters, total_iters);
  g.rebuild_uses();
  return Status::ok();
}

}  // namespace inr::quant
