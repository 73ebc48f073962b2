// BatchNorm statistics and analytical bias correction (ptq.h): DFQ (Nagel et al. 2019) sections 4 and 4.2,
// as AIMET's BnBasedBiasCorrection computes it (research/ptq-advanced.md section 3.5).
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "quant/ptq.h"

namespace inr::quant {

namespace {

bool const_f32(const Value* v, int64_t n) {
  return v && v->is_constant() && v->constant.dtype() == DType::kF32 && v->constant.numel() == n;
}

double pdf(double t) { return std::exp(-0.5 * t * t) / std::sqrt(2.0 * M_PI); }
double cdf(double t) { return 0.5 * std::erfc(-t / std::sqrt(2.0)); }

// A Clip's bound from its attribute (opset < 11) or constant input; NaN when neither is known.
double clip_bound(const Node* c, size_t input, const char* attr, double absent) {
  if (c->has_attr(attr)) return c->attr_float(attr, static_cast<float>(absent));
  const Value* v = c->input(input);
  if (!v) return absent;
  return const_f32(v, 1) ? v->constant.data<float>()[0] : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

BnStatsMap collect_bn_stats(const Graph& g) {
  BnStatsMap out;
  for (const auto& up : g.nodes()) {
    const Node* bn = up.get();
    if (bn->op_type != "BatchNormalization" || !bn->domain.empty() || bn->inputs.size() < 5) continue;
    const Value* x = bn->input(0);
    const Node* conv = x ? x->producer : nullptr;
    if (!conv || conv->op_type != "Conv" || !conv->domain.empty()) continue;
    // Folded only when the BN is the conv output's one reader (canonicalize); otherwise the conv's output is
    // the pre-BN value and these statistics would not describe it.
    if (x->consumers.size() != 1 || std::find(g.outputs.begin(), g.outputs.end(), x) != g.outputs.end()) continue;
    const Value* gamma = bn->input(1);
    if (!gamma || !gamma->is_constant() || gamma->constant.dtype() != DType::kF32) continue;
    const int64_t c = gamma->constant.numel();
    if (!const_f32(bn->input(2), c)) continue;
    BnStats s;
    s.gamma.resize(static_cast<size_t>(c));
    s.beta.resize(static_cast<size_t>(c));
    for (int64_t i = 0; i < c; ++i) {
      s.gamma[static_cast<size_t>(i)] = std::fabs(gamma->constant.data<float>()[i]);
      s.beta[static_cast<size_t>(i)] = bn->input(2)->constant.data<float>()[i];
    }
    out[node_key(conv)] = std::move(s);
  }
  return out;
}

double clipped_normal_mean(double mu, double sigma, double lo, double hi) {
  if (!(sigma > 0)) return std::clamp(mu, lo, hi);
  double e = 0, p_lo = 0, p_hi = 1, d_lo = 0, d_hi = 0;
  if (std::isfinite(lo)) {
    const double a = (lo - mu) / sigma;
    p_lo = cdf(a);
    d_lo = pdf(a);
    e += lo * p_lo;  // the mass below lo sits at lo
  }
  if (std::isfinite(hi)) {
    const double b = (hi - mu) / sigma;
    p_hi = cdf(b);
    d_hi = pdf(b);
    e += hi * (1 - p_hi);  // the mass above hi sits at hi
  }
  // Inside [lo, hi]: mu P(lo < z < hi) + sigma (phi(a) - phi(b)).
  return e + mu * (p_hi - p_lo) + sigma * (d_lo - d_hi);
}

std::vector<double> expected_input(const Layer& l, const BnStatsMap& bn, std::string& why) {
  Value* v = l.node->input(0);
  // Ops that keep the per-channel mean: global average pooling, and the Flatten of its [N, C, 1, 1] output
  // (a Flatten of a larger map changes the channel count, which the size check below rejects).
  while (v && v->producer && v->producer->domain.empty() &&
         (v->producer->op_type == "GlobalAveragePool" || v->producer->op_type == "Flatten"))
    v = v->producer->input(0);
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  Node* p = v ? v->producer : nullptr;
  if (p && p->domain.empty() && p->op_type == "Relu") {
    lo = 0;
    v = p->input(0);
  } else if (p && p->domain.empty() && p->op_type == "Clip") {
    lo = clip_bound(p, 1, "min", lo);
    hi = clip_bound(p, 2, "max", hi);
    if (std::isnan(lo) || std::isnan(hi)) {
      why = "its input Clip has bounds that are not constants";
      return {};
    }
    v = p->input(0);
  }
  p = v ? v->producer : nullptr;
  if (!p || p->op_type != "Conv") {
    why = "its input is not a Conv [+ Relu/Clip] output";
    return {};
  }
  auto it = bn.find(node_key(p));
  if (it == bn.end()) {
    why = fmt::format("no BatchNorm statistics for the Conv {} that feeds it", node_key(p));
    return {};
  }
  const BnStats& s = it->second;
  // Input channels the layer reads: group x (cin / group) for a Conv ([cout, cin/group, kh, kw]), k for Gemm.
  const Tensor& w = l.weight->constant;
  const int64_t cin = l.node->op_type == "Conv" ? l.group * w.dim(1) : l.k;
  if (static_cast<int64_t>(s.beta.size()) != cin) {
    why = fmt::format("the statistics have {} channels, the layer reads {}", s.beta.size(), cin);
    return {};
  }
  std::vector<double> ex(s.beta.size());
  for (size_t c = 0; c < ex.size(); ++c) ex[c] = clipped_normal_mean(s.beta[c], s.gamma[c], lo, hi);
  return ex;
}

std::vector<double> analytical_bias_shift(const Layer& l, const std::vector<float>& wq, const std::vector<double>& ex) {
  const int64_t cin_pg = static_cast<int64_t>(ex.size()) / l.group;  // input channels per group
  const int64_t khw = l.k / cin_pg;                                   // kernel positions per input channel
  const int64_t cout_pg = l.cout / l.group;
  std::vector<double> e(static_cast<size_t>(l.cout), 0.0);
  for (int64_t o = 0; o < l.cout; ++o) {
    const int64_t base = (o / cout_pg) * cin_pg;
    double acc = 0;
    for (int64_t j = 0; j < l.k; ++j) {
      const size_t i = static_cast<size_t>(o * l.k + j);
      acc += (static_cast<double>(wq[i]) - l.w[i]) * ex[static_cast<size_t>(base + j / khw)];
    }
    e[static_cast<size_t>(o)] = acc;
  }
  return e;
}

}  // namespace inr::quant
