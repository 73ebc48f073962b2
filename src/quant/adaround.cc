// AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization") as AIMET
// implements it (aimet_onnx/adaround; research/ptq-advanced.md section 2):
//   h(a)  = clamp(sigmoid(a) (zeta - gamma) + gamma, 0, 1),  zeta 1.1, gamma -0.1
//   W~    = clamp(floor(W / s) + h(a), qmin, qmax) * s        (s: the frozen per-channel scale)
//   a0    = -log((zeta - gamma) / (frac(W / s) - gamma) - 1)  (h starts at the fractional part)
//   loss  = mean over samples of sum over channels (act(W~ x + b) - y_float)^2
//           + lambda sum(1 - |2h - 1|^beta) after a 20% warm start, beta cosine-annealed 20 -> 2
//   Adam (lr 1e-3) on a only; finally h = (a >= 0).
// x comes from the upstream model with already-rounded weights (float activations), y from the float
// model: AIMET's asymmetric reconstruction. Each iteration draws `batch * positions_per_iter` sample rows
// (AIMET draws 32 whole images; we subsample output positions to bound time and memory).
//
// Held-out selection (not in AIMET; AdaRoundOptions::holdout, off by default): with few calibration images
// the optimiser can overfit the cached rows (a 1280 -> 1000 classifier has 1280 free roundings per output and
// one row per image). The rows of some images are then kept out of training (the caller moves them last);
// every iterations / checks the hard rounding (a >= 0) is scored on them, and the rounding with the least
// held-out reconstruction error wins. Iteration 0 is round-to-nearest (h starts at the fractional part),
// so the result is never worse than nearest on them.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <bit>
#include <cstring>
#include <random>

#include "quant/ptq.h"

namespace inr::quant {

namespace {

constexpr float kZeta = 1.1f, kGamma = -0.1f;

// 2^t and log2(x) to ~1e-6 relative, written so the loops vectorize (std::exp/std::pow do not without
// -ffast-math); the optimiser needs no more precision.
inline float fast_exp2(float t) {
  t = std::min(std::max(t, -126.f), 126.f);
  int32_t ti = static_cast<int32_t>(t);  // truncation; floor for t < 0 below
  float fi = static_cast<float>(ti);
  int32_t adj = fi > t ? 1 : 0;
  ti -= adj;
  float f = t - static_cast<float>(ti);
  float p = 1.0f + f * (0.6931472f + f * (0.2402265f + f * (0.05550411f + f * (0.009618129f + f * (0.001333355f + f * 0.0001540353f)))));
  return p * std::bit_cast<float>((ti + 127) << 23);
}
inline float fast_log2(float x) {  // x > 0, normal
  int32_t bits = std::bit_cast<int32_t>(x);
  float e = static_cast<float>(((bits >> 23) & 0xff) - 127);
  float m = std::bit_cast<float>((bits & 0x7fffff) | 0x3f800000);  // [1, 2)
  // log2(m) = 2 atanh(u) / ln 2 with u = (m - 1) / (m + 1) in [0, 1/3)
  float u = (m - 1.f) / (m + 1.f), u2 = u * u;
  float s = u * (2.f + u2 * (0.6666667f + u2 * (0.4f + u2 * (0.2857143f + u2 * 0.2222222f))));
  return e + s * 1.4426950f;
}
inline float fast_sigmoid(float a) { return 1.f / (1.f + fast_exp2(-a * 1.4426950f)); }

// The per-weight work of one iteration, on [begin, end): compiled for AVX-512, AVX2 and the baseline
// (the build has no -march), so the loops run 16 / 8 / 4 lanes wide on the CPU at hand.
#define INR_ADAROUND_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))

// Soft-quantized weights ws = clamp(floor + h(alpha), qmin, qmax) * s; keeps sigmoid(alpha) for the update.
INR_ADAROUND_CLONES void soft_weights(int64_t begin, int64_t end, const float* __restrict alpha,
                                      const float* __restrict wfloor, const float* __restrict sc, float qmin, float qmax,
                                      float* __restrict sig, float* __restrict ws) {
#pragma omp simd
  for (int64_t j = begin; j < end; ++j) {
    float sg = fast_sigmoid(alpha[j]);
    sig[j] = sg;
    float h = std::min(std::max(sg * (kZeta - kGamma) + kGamma, 0.f), 1.f);
    ws[j] = std::min(std::max(wfloor[j] + h, qmin), qmax) * sc[j];
  }
}

// Adam step on alpha with the reconstruction gradient gw (w.r.t. the soft weight) and the regulariser.
INR_ADAROUND_CLONES void adam_step(int64_t begin, int64_t end, const float* __restrict sig, const float* __restrict gw,
                                   const float* __restrict wfloor, const float* __restrict sc, float qmin, float qmax,
                                   float lam, float beta, float lr_t, float* __restrict m, float* __restrict v,
                                   float* __restrict alpha) {
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
#pragma omp simd
  for (int64_t j = begin; j < end; ++j) {
    float sg = sig[j];
    float hr = sg * (kZeta - kGamma) + kGamma;
    float dh = ((hr > 0.f) & (hr < 1.f)) ? sg * (1.f - sg) * (kZeta - kGamma) : 0.f;
    float h = std::min(std::max(hr, 0.f), 1.f);
    float q = wfloor[j] + h;
    float g = ((q >= qmin) & (q <= qmax)) ? gw[j] * sc[j] : 0.f;
    float d = 2.f * h - 1.f, ad = std::fabs(d);
    // d/dh of lam (1 - |2h-1|^beta) = -lam beta |2h-1|^(beta-1) sign(2h-1) 2
    float pw = fast_exp2((beta - 1.f) * fast_log2(std::max(ad, 1e-30f)));  // ~0 at ad = 0 (beta > 1)
    float greg = -lam * beta * pw * (d >= 0.f ? 2.f : -2.f);
    float ga = (g + greg) * dh;
    float mj = b1 * m[j] + (1.f - b1) * ga;
    float vj = b2 * v[j] + (1.f - b2) * ga * ga;
    m[j] = mj;
    v[j] = vj;
    alpha[j] -= lr_t * mj / (std::sqrt(vj) + eps);
  }
}

// Runs f(begin, end) over [0, n) split across the OpenMP threads when n is large enough to pay for them.
template <typename F>
void split(int64_t n, bool parallel, F&& f) {
  if (!parallel) {
    f(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t chunk = (n + nt - 1) / nt;
    int64_t b = std::min(n, t * chunk), e = std::min(n, b + chunk);
    if (b < e) f(b, e);
  }
}

// Sum of squared reconstruction errors of weights `w` on rows [begin, end) of x against target, in chunks
// of `chunk` rows through the scratch `z` (chunk * cout floats).
double reconstruction_sse(const Layer& l, const float* w, const SampleSet& x, const std::vector<float>& target, int64_t begin,
                          int64_t end, int64_t chunk, float* z, bool parallel) {
  double sse = 0;
  for (int64_t r0 = begin; r0 < end; r0 += chunk) {
    const int64_t n = std::min(chunk, end - r0);
    pre_activation(l, w, x.x.data() + r0 * x.width, n, z, parallel);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < l.cout; ++c) {
        float pass;
        float y = activate(l, z[r * l.cout + c] + l.bias[static_cast<size_t>(c)], pass);
        double d = static_cast<double>(y) - target[static_cast<size_t>((r0 + r) * l.cout + c)];
        sse += d * d;
      }
  }
  return sse;
}

// Hard rounding: clamp(floor + (alpha >= 0), qmin, qmax) * s.
void hard_weights(const std::vector<float>& alpha, const std::vector<float>& wfloor, const std::vector<float>& sc, float qmin,
                  float qmax, std::vector<float>& out) {
  out.resize(alpha.size());
  for (size_t j = 0; j < alpha.size(); ++j) out[j] = std::clamp(wfloor[j] + (alpha[j] >= 0.f ? 1.f : 0.f), qmin, qmax) * sc[j];
}

}  // namespace

AdaRoundResult adaround_layer(const Layer& l, const std::vector<float>& scale, const WeightGrid& grid, const SampleSet& x,
                              const std::vector<float>& target, int64_t train_rows, const AdaRoundOptions& o,
                              const std::function<void(int)>& progress) {
  const int64_t cout = l.cout, k = l.k, nw = cout * k, width = x.width;
  const bool per_channel = scale.size() > 1;
  std::vector<float> wfloor(static_cast<size_t>(nw)), alpha(static_cast<size_t>(nw)), m(static_cast<size_t>(nw), 0.f),
      v(static_cast<size_t>(nw), 0.f), sc(static_cast<size_t>(nw));
  for (int64_t j = 0; j < nw; ++j) {
    float s = scale[per_channel ? static_cast<size_t>(j / k) : 0];
    float q = l.w[static_cast<size_t>(j)] / s;
    float fl = std::floor(q);
    float rest = std::clamp(q - fl, 0.f, 1.f);
    wfloor[static_cast<size_t>(j)] = fl;
    sc[static_cast<size_t>(j)] = s;
    alpha[static_cast<size_t>(j)] = -std::log((kZeta - kGamma) / (rest - kGamma) - 1.f);
  }
  const int64_t per_image = std::max<int64_t>(1, x.per_image);
  train_rows = std::clamp<int64_t>(train_rows, 1, x.rows);
  const int64_t rows_per_iter =
      std::min<int64_t>(train_rows, static_cast<int64_t>(o.batch) * std::min<int64_t>(per_image, o.positions_per_iter));
  std::vector<float> xb(static_cast<size_t>(rows_per_iter * width)), yb(static_cast<size_t>(rows_per_iter * cout)),
      z(static_cast<size_t>(rows_per_iter * cout)), ws(static_cast<size_t>(nw)), gw(static_cast<size_t>(nw)),
      sig(static_cast<size_t>(nw));
  std::mt19937_64 rng(o.seed * 7919 + 17);
  std::uniform_int_distribution<int64_t> pick(0, train_rows - 1);
  const int warm = static_cast<int>(o.warm_start * static_cast<float>(o.iterations));
  const float qmin = static_cast<float>(grid.qmin), qmax = static_cast<float>(grid.qmax);
  const float b1 = 0.9f, b2 = 0.999f;
  float b1t = 1.f, b2t = 1.f;
  const int64_t cg = cout / l.group;
  // Threads only where the work outweighs a parallel region's cost (large on a loaded machine).
  const bool big_w = nw >= (1 << 15), big_mm = rows_per_iter * cout * k >= (1 << 18),
             big_out = rows_per_iter * cout >= (1 << 15);
  // Held-out checks: rows [train_rows, rows), every `every` iterations and after the last.
  AdaRoundResult res;
  res.heldout_rows = x.rows - train_rows;
  const int every = res.heldout_rows > 0 ? std::max(1, o.iterations / std::max(1, o.checks)) : 0;
  std::vector<float> wh;
  double best = 0;
  auto check = [&](int it) {
    hard_weights(alpha, wfloor, sc, qmin, qmax, wh);
    double sse = reconstruction_sse(l, wh.data(), x, target, train_rows, x.rows, rows_per_iter, z.data(), big_mm);
    if (it == 0) res.heldout_sse_nearest = sse;
    res.heldout_sse_last = sse;
    if (res.iteration < 0 || sse <= best) {  // ties: the later (more optimised) rounding
      best = sse;
      res.iteration = it;
      res.w = wh;
    }
  };

  for (int it = 0; it < o.iterations; ++it) {
    if (progress && (it % 64 == 0)) progress(it);
    if (every > 0 && it % every == 0) check(it);
    for (int64_t r = 0; r < rows_per_iter; ++r) {
      int64_t src = pick(rng);
      std::memcpy(xb.data() + r * width, x.x.data() + src * width, static_cast<size_t>(width) * 4);
      std::memcpy(yb.data() + r * cout, target.data() + src * cout, static_cast<size_t>(cout) * 4);
    }
    // Soft-quantized weights.
    split(nw, big_w, [&](int64_t b, int64_t e) { soft_weights(b, e, alpha.data(), wfloor.data(), sc.data(), qmin, qmax, sig.data(), ws.data()); });
    // Forward, then the gradient of the reconstruction loss w.r.t. the pre-activation.
    pre_activation(l, ws.data(), xb.data(), rows_per_iter, z.data(), big_mm);
    const float inv = 2.f / static_cast<float>(rows_per_iter);
#pragma omp parallel for schedule(static) if (big_out)
    for (int64_t r = 0; r < rows_per_iter; ++r)
      for (int64_t c = 0; c < cout; ++c) {
        size_t i = static_cast<size_t>(r * cout + c);
        float pass;
        float y = activate(l, z[i] + l.bias[static_cast<size_t>(c)], pass);
        z[i] = (y - yb[i]) * inv * pass;  // dLoss / dpre
      }
    if (l.group == 1) {
      sgemm_tn(cout, k, rows_per_iter, z.data(), xb.data(), gw.data());
    } else {
#pragma omp parallel for schedule(static) if (big_mm)
      for (int64_t c = 0; c < cout; ++c)
        for (int64_t i = 0; i < k; ++i) {
          float acc = 0;
          for (int64_t r = 0; r < rows_per_iter; ++r) acc += z[static_cast<size_t>(r * cout + c)] * xb[static_cast<size_t>(r * width + (c / cg) * k + i)];
          gw[static_cast<size_t>(c * k + i)] = acc;
        }
    }
    // Regulariser weight and temperature.
    const bool reg_on = it >= warm;
    float beta = o.beta_start;
    if (reg_on) {
      float rel = static_cast<float>(it - warm) / static_cast<float>(std::max(1, o.iterations - warm));
      beta = o.beta_end + 0.5f * (o.beta_start - o.beta_end) * (1.f + std::cos(static_cast<float>(M_PI) * rel));
    }
    const float lam = reg_on ? o.reg : 0.f;
    b1t *= b1;
    b2t *= b2;
    const float lr_t = o.lr * std::sqrt(1.f - b2t) / (1.f - b1t);
    split(nw, big_w, [&](int64_t b, int64_t e) {
      adam_step(b, e, sig.data(), gw.data(), wfloor.data(), sc.data(), qmin, qmax, lam, beta, lr_t, m.data(), v.data(), alpha.data());
    });
  }
  if (progress) progress(o.iterations);
  if (every > 0) {
    check(o.iterations);
    res.heldout_sse_best = best;
  } else {
    hard_weights(alpha, wfloor, sc, qmin, qmax, res.w);
    res.iteration = o.iterations;
  }
  return res;
}

}  // namespace inr::quant
