// Layers, weight grids and layer-input sampling shared by AdaRound, bias correction and the per-layer
// report (ptq.h).
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "inr/session.h"
#include "quant/ptq.h"

namespace inr::quant {

void sgemm_nt(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c, bool accumulate) {
  // c[m, n] (+)= a[m, k] * b[n, k]^T, row major.
  dnnl_sgemm('N', 'T', m, n, k, 1.f, a, k, b, k, accumulate ? 1.f : 0.f, c, n);
}
void sgemm_tn(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  // c[m, n] = a[k, m]^T * b[k, n].
  dnnl_sgemm('T', 'N', m, n, k, 1.f, a, m, b, n, 0.f, c, n);
}

WeightGrid WeightGrid::of_bits(int bits) {
  WeightGrid g;
  g.bits = bits;
  g.qmax = (1 << (bits - 1)) - 1;
  // 4 bits: AIMET's non-strict symmetric grid [-8, 7] (the -8 step is reached only by clipping the range, as
  // TF-enhanced does); 8 bits: [-127, 127], ORT's symmetric s8 grid.
  g.qmin = bits == 4 ? -(g.qmax + 1) : -g.qmax;
  return g;
}

Result<Layer> make_layer(Node* n, const Graph& g) {
  Layer l;
  l.node = n;
  Value* w = n->input(1);
  if (!w || !w->is_constant() || w->constant.dtype() != DType::kF32) return error("{}: weight is not a float constant", n->label());
  l.weight = w;
  const Tensor& t = w->constant;
  const float* p = t.data<float>();
  if (n->op_type == "Conv") {
    if (t.rank() != 4) return error("{}: only 2-D convolutions are optimised", n->label());
    std::string ap = n->attr_string("auto_pad", "NOTSET");
    if (ap != "NOTSET" && ap != "VALID") return error("{}: auto_pad {} is not handled", n->label(), ap);
    l.group = n->attr_int("group", 1);
    l.cout = t.dim(0);
    l.k = t.dim(1) * t.dim(2) * t.dim(3);
    l.w.assign(p, p + t.numel());
  } else if (n->op_type == "Gemm" || n->op_type == "MatMul") {
    if (t.rank() != 2) return error("{}: weight is not 2-D", n->label());
    bool trans_b = n->op_type == "Gemm" && n->attr_int("transB", 0) != 0;
    if (n->op_type == "Gemm" && (n->attr_int("transA", 0) != 0 || n->attr_float("alpha", 1.f) != 1.f ||
                                 n->attr_float("beta", 1.f) != 1.f))
      return error("{}: Gemm with transA or alpha/beta != 1 is not optimised", n->label());
    l.transposed = !trans_b;
    l.cout = trans_b ? t.dim(0) : t.dim(1);
    l.k = trans_b ? t.dim(1) : t.dim(0);
    l.w.resize(static_cast<size_t>(l.cout * l.k));
    for (int64_t o = 0; o < l.cout; ++o)
      for (int64_t i = 0; i < l.k; ++i) l.w[static_cast<size_t>(o * l.k + i)] = trans_b ? p[o * l.k + i] : p[i * l.cout + o];
  } else {
    return error("{}: not a Conv, Gemm or MatMul", n->label());
  }
  l.bias.assign(static_cast<size_t>(l.cout), 0.f);
  if (n->op_type != "MatMul" && n->input(2)) {
    const Tensor& b = n->input(2)->constant;
    if (!b.defined() || b.dtype() != DType::kF32 || b.numel() != l.cout) return error("{}: bias is not a constant of {} floats", n->label(), l.cout);
    std::copy(b.data<float>(), b.data<float>() + l.cout, l.bias.begin());
    l.has_bias = true;
  }
  // The activation the loss includes (AIMET: the layer's single consumer, when it is one).
  Value* out = n->outputs[0];
  bool is_out = std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end();
  if (out->consumers.size() == 1 && !is_out && out->consumers[0]->domain.empty()) {
    Node* c = out->consumers[0];
    if (c->op_type == "Relu") {
      l.act = Layer::Act::kRelu;
    } else if (c->op_type == "Clip") {
      auto bound = [&](size_t i, const char* attr, float def) {
        if (c->has_attr(attr)) return c->attr_float(attr, def);
        Value* v = c->input(i);
        if (v && v->is_constant() && v->constant.dtype() == DType::kF32 && v->constant.numel() == 1) return v->constant.data<float>()[0];
        return v ? std::nanf("") : def;
      };
      float lo = bound(1, "min", -INFINITY), hi = bound(2, "max", INFINITY);
      if (!std::isnan(lo) && !std::isnan(hi)) {
        l.act = Layer::Act::kClip;
        l.clip_lo = lo;
        l.clip_hi = hi;
      }
    }
  }
  return l;
}

void store_weight(Layer& l, const std::vector<float>& w) {
  const Tensor& old = l.weight->constant;
  Tensor t = Tensor::empty(DType::kF32, old.shape());
  float* p = t.data<float>();
  if (!l.transposed) {
    std::copy(w.begin(), w.end(), p);
  } else {
    for (int64_t o = 0; o < l.cout; ++o)
      for (int64_t i = 0; i < l.k; ++i) p[i * l.cout + o] = w[static_cast<size_t>(o * l.k + i)];
  }
  l.weight->constant = std::move(t);
  l.w = w;
}

void store_bias(Graph& g, Layer& l, const std::vector<float>& bias) {
  Tensor t = Tensor::from_vector(DType::kF32, {l.cout}, bias);
  if (l.node->input(2)) {
    l.node->input(2)->constant = std::move(t);
  } else {
    Value* b = g.add_constant(node_key(l.node) + "_bias", std::move(t));
    if (l.node->inputs.size() < 3) l.node->inputs.resize(3, nullptr);
    l.node->inputs[2] = b;
    b->consumers.push_back(l.node);
  }
  l.bias = bias;
  l.has_bias = true;
}

namespace {

// TF-enhanced noise of scale s on n weights: sum (qdq(w) - w)^2, a clipped weight's counted kGamma times.
constexpr int kTfeCandidates = 101;  // AIMET SqnrEncodingAnalyzer: symmetric_delta_candidates
constexpr double kTfeGamma = 3.0;    // its gamma: the weight of clipping noise

double tfe_noise(const float* w, int64_t n, float s, const WeightGrid& grid) {
  const float lo = static_cast<float>(grid.qmin), hi = static_cast<float>(grid.qmax);
  double quant = 0, clip = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float q = std::nearbyint(w[i] / s);
    const float e = std::clamp(q, lo, hi) * s - w[i];
    ((q < lo || q > hi) ? clip : quant) += static_cast<double>(e) * e;
  }
  return quant + kTfeGamma * clip;
}

}  // namespace

std::vector<float> weight_scales(const std::vector<float>& w, int64_t cout, int64_t k, bool per_channel, const WeightGrid& grid,
                                 WeightRange range) {
  std::vector<float> s(static_cast<size_t>(per_channel ? cout : 1), 0.f);
  for (int64_t o = 0; o < cout; ++o) {
    float m = 0;
    for (int64_t i = 0; i < k; ++i) m = std::max(m, std::fabs(w[static_cast<size_t>(o * k + i)]));
    float& d = s[per_channel ? static_cast<size_t>(o) : 0];
    d = std::max(d, m);
  }
  for (float& d : s) d = d > 0 ? d / static_cast<float>(grid.qmax) : 1.f;  // ORT/quant_util: a zero range gives scale 1
  if (range == WeightRange::kMinMax) return s;
  // TF-enhanced: per channel (or over the whole tensor) the least-noise scale among max|w| / qmax * d / 101.
  const int64_t groups = per_channel ? cout : 1, n = per_channel ? k : cout * k;
  for (int64_t c = 0; c < groups; ++c) {
    const float full = s[static_cast<size_t>(c)];
    const float* x = w.data() + c * n;
    float best = full;
    double best_noise = tfe_noise(x, n, full, grid);
    for (int d = 1; d < kTfeCandidates; ++d) {
      const float cand = full * static_cast<float>(d) / kTfeCandidates;
      const double noise = tfe_noise(x, n, cand, grid);
      if (noise < best_noise) {
        best_noise = noise;
        best = cand;
      }
    }
    s[static_cast<size_t>(c)] = best;
  }
  return s;
}

std::vector<float> fake_quant_rtn(const std::vector<float>& w, int64_t cout, int64_t k, const std::vector<float>& scale,
                                  const WeightGrid& grid) {
  std::vector<float> q(w.size());
  for (int64_t o = 0; o < cout; ++o) {
    float s = scale[scale.size() == 1 ? 0 : static_cast<size_t>(o)];
    for (int64_t i = 0; i < k; ++i) {
      size_t j = static_cast<size_t>(o * k + i);
      float v = std::clamp(std::nearbyint(w[j] / s), static_cast<float>(grid.qmin), static_cast<float>(grid.qmax));
      q[j] = v * s;
    }
  }
  return q;
}

QParams weight_qparams(const Layer& l, const std::vector<float>& scale, const WeightGrid& grid, bool per_channel) {
  QParams p;
  p.dtype = grid.bits == 4 ? DType::kI4 : DType::kI8;
  p.scale = scale;
  p.zero_point.assign(scale.size(), 0);
  p.axis = per_channel ? (l.node->op_type == "Conv" ? 0 : l.transposed ? 1 : 0) : -1;
  return p;
}

double sqnr_db(const float* ref, const float* approx, size_t n) {
  double s = 0, e = 0;
  for (size_t i = 0; i < n; ++i) {
    s += static_cast<double>(ref[i]) * ref[i];
    double d = static_cast<double>(ref[i]) - approx[i];
    e += d * d;
  }
  return sqnr_db(s, e);
}

double sqnr_db(double signal, double noise) {
  if (noise == 0) return 200.0;
  if (signal == 0) return -200.0;
  return std::min(200.0, 10.0 * std::log10(signal / noise));
}

Result<SampleSet> sample_layer_inputs(const Graph& graph, const Layer& l, const ImageBatches& images, int positions,
                                      uint64_t seed) {
  const Node* n = l.node;
  const std::string in_name = n->inputs[0]->name;
  INR_ASSIGN_OR_RETURN(Graph g, graph.clone());
  Value* v = g.find_value(in_name);
  if (!v) return error("{}: input '{}' not found", n->label(), in_name);
  g.outputs = {v};
  g.remove_dead();
  SessionOptions so;
  INR_ASSIGN_OR_RETURN(auto session, Session::create(std::make_unique<Graph>(std::move(g)), so));

  const bool conv = n->op_type == "Conv";
  std::vector<int64_t> pads = n->attr_ints("pads", {0, 0, 0, 0}), strides = n->attr_ints("strides", {1, 1}),
                       dil = n->attr_ints("dilations", {1, 1});
  const Tensor& wt = l.weight->constant;
  const int64_t kh = conv ? wt.dim(2) : 1, kw = conv ? wt.dim(3) : 1, cin_g = conv ? wt.dim(1) : l.k;
  SampleSet s;
  s.width = l.group * l.k;
  size_t image_index = 0;
  for (const Tensor& batch : images.batches) {
    INR_ASSIGN_OR_RETURN(std::vector<Tensor> out, session->run(std::span<const Tensor>(&batch, 1)));
    const Tensor& x = out[0];
    if (x.dtype() != DType::kF32) return error("{}: input is not float", n->label());
    const int64_t nb = x.dim(0);
    if (!conv) {
      if (x.rank() != 2 || x.dim(1) != l.k) return error("{}: input of shape {} is not [N, {}]", n->label(), shape_str(x.shape()), l.k);
      s.x.insert(s.x.end(), x.data<float>(), x.data<float>() + x.numel());
      s.rows += nb;
      image_index += static_cast<size_t>(nb);
      continue;
    }
    if (x.rank() != 4) return error("{}: input is not 4-D", n->label());
    const int64_t c = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t ho = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) / strides[0] + 1;
    const int64_t wo = (w + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) / strides[1] + 1;
    const int64_t all = ho * wo, take = std::min<int64_t>(positions, all);
    const float* px = x.data<float>();
    for (int64_t b = 0; b < nb; ++b, ++image_index) {
      std::mt19937_64 rng(seed * 1000003ULL + image_index);
      std::vector<int64_t> pos(static_cast<size_t>(all));
      std::iota(pos.begin(), pos.end(), 0);
      for (int64_t i = 0; i < take; ++i) {
        std::uniform_int_distribution<int64_t> d(i, all - 1);
        std::swap(pos[static_cast<size_t>(i)], pos[static_cast<size_t>(d(rng))]);
      }
      size_t base = s.x.size();
      s.x.resize(base + static_cast<size_t>(take * s.width), 0.f);
      for (int64_t r = 0; r < take; ++r) {
        int64_t oy = pos[static_cast<size_t>(r)] / wo, ox = pos[static_cast<size_t>(r)] % wo;
        float* row = s.x.data() + base + static_cast<size_t>(r * s.width);
        for (int64_t ch = 0; ch < c; ++ch) {
          // channel ch belongs to group ch / cin_g, at patch offset (ch % cin_g)
          int64_t gi = ch / cin_g, ci = ch % cin_g;
          for (int64_t i = 0; i < kh; ++i) {
            int64_t iy = oy * strides[0] - pads[0] + i * dil[0];
            if (iy < 0 || iy >= h) continue;
            for (int64_t j = 0; j < kw; ++j) {
              int64_t ix = ox * strides[1] - pads[1] + j * dil[1];
              if (ix < 0 || ix >= w) continue;
              row[gi * l.k + (ci * kh + i) * kw + j] = px[((b * c + ch) * h + iy) * w + ix];
            }
          }
        }
      }
      s.rows += take;
    }
    s.per_image = take;
  }
  return s;
}

void layer_forward(const Layer& l, const std::vector<float>& w, const std::vector<float>& bias, const SampleSet& s,
                   bool apply_act, std::vector<float>& out) {
  const int64_t rows = s.rows, cout = l.cout;
  out.assign(static_cast<size_t>(rows * cout), 0.f);
  pre_activation(l, w.data(), s.x.data(), rows, out.data(), true);
  float pass;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < cout; ++o) {
      float& y = out[static_cast<size_t>(r * cout + o)];
      y += bias[static_cast<size_t>(o)];
      if (apply_act) y = activate(l, y, pass);
    }
}

void pre_activation(const Layer& l, const float* w, const float* x, int64_t rows, float* z, bool parallel) {
  if (rows <= 0) return;
  const int64_t cout = l.cout, k = l.k, width = l.group * l.k;
  if (l.group == 1) {
    sgemm_nt(rows, cout, k, x, w, z, false);
    return;
  }
  const int64_t cg = cout / l.group;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cout; ++c) {
      const float* xr = x + r * width + (c / cg) * k;
      const float* wr = w + c * k;
      float acc = 0;
      for (int64_t i = 0; i < k; ++i) acc += wr[i] * xr[i];
      z[r * cout + c] = acc;
    }
}

}  // namespace inr::quant
