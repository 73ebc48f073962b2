// Post-training optimisations of the float graph before static quantization (issue #10), the pipeline of
// AIMET's W8A8/W4A8 recipes: cross-layer equalization (cle.cc), then per-layer weight rounding
// (AdaRound, adaround.cc) and/or empirical bias correction (bias_correction.cc) on weight-quantized layers.
// Internal to src/quant; quantize_static() drives them (QuantOptions::cle, ::adaround, ::bias_correction).
//
// Weight grid used here (and handed to the QDQ writer as fixed parameters): symmetric per output channel
// (or per tensor), zero point 0, scale = max|w| / qmax (or TF-enhanced's smaller one) with qmax = 2^(bits-1) - 1:
// [-127, 127] at 8 bits (the writer's s8 grid, ORT's symmetric s8), [-8, 7] at 4 bits (AIMET's non-strict
// symmetric grid, the whole INT4 range: -8 holds weights a clipped range cuts off).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "image/image.h"
#include "image/preprocess.h"
#include "ir/graph.h"
#include "quant/quant_util.h"

namespace inr::quant {

// ---- BatchNorm statistics (DFQ, Nagel et al. 2019, section 4) ----
// On the data a BatchNorm was trained on, its output channel c is about N(beta_c, gamma_c^2). Collected from
// the float graph *before* BN folding (canonicalize) for each BatchNormalization that reads the output of a
// Conv it will be folded into, keyed by node_key(conv): after folding, the conv's own output has these
// statistics. CLE rescales them with the conv's output channels and high-bias absorption shifts beta, so
// they stay the statistics of the current graph. gamma is stored as |gamma|.
struct BnStats {
  std::vector<float> beta, gamma;
};
using BnStatsMap = std::map<std::string, BnStats>;
BnStatsMap collect_bn_stats(const Graph& g);  // needs the graph's uses built (rebuild_uses)

// E[clamp(z, lo, hi)] for z ~ N(mu, sigma^2); lo / hi may be -inf / +inf; sigma 0: clamp(mu, lo, hi).
double clipped_normal_mean(double mu, double sigma, double lo, double hi);

// ---- Cross-layer equalization (Nagel et al. 2019; AIMET's single-pass cross-layer scaling) ----
// Works on a canonical (BatchNorm-folded), topologically sorted float graph with constant conv weights.
// Chains of Conv linked directly or through Relu (the conv's only consumer) are split into conv->conv pairs
// and conv->depthwise->conv triplets; each is rescaled per channel so the ranges of the linked weight
// slices become equal (pair: sqrt(r1 r2); triplet: cbrt(r1 r2 r3)). Relu is positively homogeneous, so the
// function is unchanged up to float rounding. A Clip with lower bound 0 whose producer and every consumer
// are Convs is first replaced by Relu, as AIMET does (ReLU6 is not scale invariant).
//
// High-bias absorption (DFQ section 4.1, AIMET HighBiasFold), when `bn` has the statistics of a linked conv
// `a` whose output reaches the next conv `b` through a Relu: c = max(0, beta - 3 gamma) per channel (the
// statistics after scaling) leaves a's bias (b_a -= c) and enters b's (b_b += sum_{kh,kw} W_b c). Relu(z - c)
// = Relu(z) - c wherever z >= c, so the function is unchanged on inputs where the pre-activation stays above
// c (99.87% of a normal). Only into a `b` without padding: at a padded border the zeros would miss the
// "- c" (AIMET absorbs into padded convs too and accepts that error). `bn` is updated (scaled, beta -= c).
Status equalize(Graph& g, CleReport& report, BnStatsMap* bn = nullptr);

// ---- Symmetric weight grid ----
struct WeightGrid {
  int bits = 8;
  int32_t qmin = -127, qmax = 127;
  static WeightGrid of_bits(int bits);
};

// A quantizable layer as the optimisations see it: y = act(W x + b) per output position, with the weight
// viewed as [cout, k] (k = cin/group * kh * kw for Conv; MatMul's [K, N] weight transposed).
struct Layer {
  Node* node = nullptr;
  Value* weight = nullptr;
  int64_t cout = 0, k = 0, group = 1;
  bool transposed = false;  // MatMul: the stored weight is [k, cout]
  enum class Act { kNone, kRelu, kClip } act = Act::kNone;
  float clip_lo = 0, clip_hi = 0;
  std::vector<float> w;     // [cout, k], float
  std::vector<float> bias;  // [cout] (zeros when the node has none)
  bool has_bias = false;
};
Result<Layer> make_layer(Node* n, const Graph& g);
// Writes `w` ([cout, k]) back as the node's weight constant (a new tensor; the old storage may be shared).
void store_weight(Layer& l, const std::vector<float>& w);
void store_bias(Graph& g, Layer& l, const std::vector<float>& bias);

// Per-channel (or per-tensor) scales of the grid for w [cout, k].
std::vector<float> weight_scales(const std::vector<float>& w, int64_t cout, int64_t k, bool per_channel, const WeightGrid& grid,
                                 WeightRange range = WeightRange::kMinMax);
// Round-to-nearest fake quantization with given scales.
std::vector<float> fake_quant_rtn(const std::vector<float>& w, int64_t cout, int64_t k, const std::vector<float>& scale,
                                  const WeightGrid& grid);
// QParams (s8 type; zero point 0) of the scales, for the writer.
QParams weight_qparams(const Layer& l, const std::vector<float>& scale, const WeightGrid& grid, bool per_channel);

// Row-major float GEMMs (oneDNN's sgemm, multi-threaded): c[m,n] (+)= a[m,k] b[n,k]^T; c[m,n] = a[k,m]^T b[k,n].
void sgemm_nt(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c, bool accumulate);
void sgemm_tn(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);

// SQNR in dB of `approx` against `ref` (10 log10(sum ref^2 / sum (ref - approx)^2)); 200 when equal.
double sqnr_db(const float* ref, const float* approx, size_t n);
// The same from the sums: signal = sum ref^2, noise = sum (ref - approx)^2.
double sqnr_db(double signal, double noise);

// ---- Layer samples: inputs to one layer at sampled output positions, over the calibration images ----
struct SampleSet {
  int64_t rows = 0;        // samples (image, position)
  int64_t width = 0;       // group * k floats per row (the im2col patch of every group)
  int64_t per_image = 1;   // rows per image
  std::vector<float> x;    // [rows, width]
};
// The image batches (preprocessed) that every layer pass runs on, loaded once.
struct ImageBatches {
  std::vector<Tensor> batches;
  size_t images = 0;
};
// Runs `graph` (a float graph whose value `input` feeds the layer) on the batches and extracts the layer's
// im2col rows at `positions` output positions per image (all when fewer), chosen by `seed` (the same seed
// gives the same positions, so float and quantized passes line up).
Result<SampleSet> sample_layer_inputs(const Graph& graph, const Layer& l, const ImageBatches& images, int positions,
                                      uint64_t seed);
// z[r, c] = W x_r (no bias) for `rows` rows of width group * k at x; z [rows, cout]. Threaded when `parallel`.
void pre_activation(const Layer& l, const float* w, const float* x, int64_t rows, float* z, bool parallel);
// act(pre) of the layer's Relu / Clip (none: pre); `pass` is 1 where the gradient flows through it, else 0.
inline float activate(const Layer& l, float pre, float& pass) {
  pass = 1.f;
  if (l.act == Layer::Act::kRelu) {
    pass = pre > 0 ? 1.f : 0.f;
    return std::max(pre, 0.f);
  }
  if (l.act == Layer::Act::kClip) {
    pass = pre > l.clip_lo && pre < l.clip_hi ? 1.f : 0.f;
    return std::clamp(pre, l.clip_lo, l.clip_hi);
  }
  return pre;
}
// y = act(W x + b) for every sample row; out [rows, cout]. `apply_act` false: pre-activation.
void layer_forward(const Layer& l, const std::vector<float>& w, const std::vector<float>& bias, const SampleSet& s,
                   bool apply_act, std::vector<float>& out);

// ---- AdaRound (Nagel et al. 2020, as AIMET implements it) ----
// Learns the rounding of l.w onto the grid with `scale`. x: inputs from the weight-quantized upstream model;
// target: float outputs (activation included). Rows [0, train_rows) train; rows [train_rows, x.rows) (the
// held-out images' rows, moved last by the caller; o.holdout) are held out: every iterations / o.checks the hard rounding is scored on them
// and the best one (iteration 0 = round-to-nearest) is returned. train_rows = x.rows: AIMET's plain run, the
// final rounding. `progress(iter)` is called now and then.
struct AdaRoundResult {
  std::vector<float> w;  // rounded integer grid values times scale (fake-quantized weight)
  int iteration = -1;    // the iteration whose rounding was kept (o.iterations: the final one)
  int64_t heldout_rows = 0;
  double heldout_sse_nearest = 0, heldout_sse_best = 0, heldout_sse_last = 0;  // sum of squared errors on them
};
AdaRoundResult adaround_layer(const Layer& l, const std::vector<float>& scale, const WeightGrid& grid, const SampleSet& x,
                              const std::vector<float>& target, int64_t train_rows, const AdaRoundOptions& o,
                              const std::function<void(int)>& progress);

// ---- Analytical bias correction (DFQ section 4.2, AIMET BnBasedBiasCorrection) ----
// E[x] per input channel of layer `l` from the statistics of the Conv that produces its input (in the
// graph l.node lives in), through an optional Relu / Clip (the clipped-normal mean) and any
// GlobalAveragePool / Flatten (which keep the mean); empty with `why` set when there are none.
std::vector<double> expected_input(const Layer& l, const BnStatsMap& bn, std::string& why);
// E[W_q x] - E[W x] = (W_q - W) E[x] per output channel (padding ignored, as in DFQ); subtracted from the bias.
std::vector<double> analytical_bias_shift(const Layer& l, const std::vector<float>& wq, const std::vector<double>& ex);

// ---- The pipeline quantize_static runs on the selected Conv/Gemm/MatMul nodes (ptq_pipeline.cc) ----
// Rounds the weights of `layers` (nodes of `g`, topological order) in place: g's weight constants become
// the fake-quantized values, `weight_params` gets their exact grid (writer input). `original`: per node key
// (node_key), the weight before CLE (for the report; may be empty).
Status optimize_weights(Graph& g, const std::vector<Node*>& layers, const ImageBatches& images, const PtqOptions& o,
                        const std::map<std::string, Tensor>& original, std::map<std::string, QParams>& weight_params,
                        std::vector<LayerReport>& report, const BnStatsMap& bn = {});
// The first `limit` (0: all) images of `paths`, preprocessed, in batches of 16 (a batch with an unreadable
// image is skipped). `fixed_batch` > 0: the model's input has that batch dim, so every batch has exactly that
// many images and a shorter last batch is left out (as calibration does).
Result<ImageBatches> load_images(const std::vector<std::string>& paths, size_t limit, const image::PreprocessSpec& spec,
                                 const image::DecodeOptions& decode, size_t fixed_batch = 0);

}  // namespace inr::quant
