// Cross-layer equalization (ptq.h): AIMET's cross-layer scaling (ModelOptimizations/DlEqualization
// ScaleFactorCalculator / CrossLayerScaling; research/ptq-advanced.md section 3), one pass, no iteration.
#include <algorithm>
#include <cmath>
#include <set>

#include "core/log.h"
#include "quant/ptq.h"

namespace inr::quant {

namespace {

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

// A Conv CLE can scale: constant 4-D float weight, constant (or no) bias, group 1 or depthwise.
bool scalable_conv(const Node* n) {
  if (n->op_type != "Conv" || !n->domain.empty()) return false;
  Value* w = n->input(1);
  if (!w || !w->is_constant() || w->constant.dtype() != DType::kF32 || w->constant.rank() != 4) return false;
  Value* b = n->input(2);
  if (b && (!b->is_constant() || b->constant.dtype() != DType::kF32)) return false;
  int64_t group = n->attr_int("group", 1);
  if (group == 1) return true;
  return group == w->constant.dim(0) && w->constant.dim(1) == 1;  // depthwise, multiplier 1
}

bool is_depthwise(const Node* n) { return n->attr_int("group", 1) != 1; }

float clip_lower(const Node* c) {
  if (c->has_attr("min")) return c->attr_float("min", -1.f);
  Value* m = c->input(1);
  if (!m || !m->is_constant() || m->constant.dtype() != DType::kF32 || m->constant.numel() != 1) return -1.f;
  return m->constant.data<float>()[0];
}

// The conv that `n` feeds, directly or through one Relu, when `n`'s output has that single path.
Node* next_conv(const Graph& g, const Node* n) {
  Value* out = n->outputs[0];
  if (out->consumers.size() != 1 || is_graph_output(g, out)) return nullptr;
  Node* c = out->consumers[0];
  if (c->op_type == "Relu" && c->domain.empty()) {
    Value* r = c->outputs[0];
    if (r->consumers.size() != 1 || is_graph_output(g, r)) return nullptr;
    c = r->consumers[0];
  }
  if (!scalable_conv(c) || c->input(0) == nullptr) return nullptr;
  return c;
}

// Channel ranges: max |w| over output channel i (`out` true) or over input channel i.
std::vector<float> ranges(const Tensor& w, bool out, bool depthwise) {
  const int64_t co = w.dim(0), ci = w.dim(1), hw = w.dim(2) * w.dim(3);
  const float* p = w.data<float>();
  std::vector<float> r(static_cast<size_t>(out || depthwise ? co : ci), 0.f);
  for (int64_t o = 0; o < co; ++o)
    for (int64_t i = 0; i < ci; ++i)
      for (int64_t k = 0; k < hw; ++k) {
        float a = std::fabs(p[(o * ci + i) * hw + k]);
        size_t idx = static_cast<size_t>(out || depthwise ? o : i);
        r[idx] = std::max(r[idx], a);
      }
  return r;
}

// Multiplies output channel i (out) or input channel i of w by f[i]; a new tensor.
Tensor scale_channels(const Tensor& w, const std::vector<float>& f, bool out, bool depthwise) {
  Tensor t = w.clone();
  const int64_t co = w.dim(0), ci = w.dim(1), hw = w.dim(2) * w.dim(3);
  float* p = t.data<float>();
  for (int64_t o = 0; o < co; ++o)
    for (int64_t i = 0; i < ci; ++i) {
      float s = f[static_cast<size_t>(out || depthwise ? o : i)];
      for (int64_t k = 0; k < hw; ++k) p[(o * ci + i) * hw + k] *= s;
    }
  return t;
}

void scale_bias(Graph& g, Node* n, const std::vector<float>& f) {
  Value* b = n->input(2);
  if (!b) return;  // no bias: nothing to scale
  Tensor t = b->constant.clone();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] *= f[static_cast<size_t>(i)];
  Value* nb = g.add_constant(b->name + "_cle", std::move(t));
  n->inputs[2] = nb;
}

void set_weight(Graph& g, Node* n, Tensor t) {
  Value* w = n->input(1);
  n->inputs[1] = g.add_constant(w->name + "_cle", std::move(t));
}

// The conv's output channel i is multiplied by f[i]: so are the mean and deviation of its BN statistics.
void scale_stats(BnStatsMap* bn, const Node* n, const std::vector<float>& f) {
  if (!bn) return;
  auto it = bn->find(node_key(n));
  if (it == bn->end() || it->second.beta.size() != f.size()) return;
  for (size_t i = 0; i < f.size(); ++i) {
    it->second.beta[i] *= f[i];
    it->second.gamma[i] *= std::fabs(f[i]);
  }
}

bool has_padding(const Node* n) {
  if (n->attr_string("auto_pad", "NOTSET") != "NOTSET" && n->attr_string("auto_pad", "NOTSET") != "VALID") {
    const Tensor& w = n->input(1)->constant;
    return w.dim(2) != 1 || w.dim(3) != 1;  // SAME_UPPER / SAME_LOWER: a 1x1 kernel needs no padding
  }
  if (!n->has_attr("pads")) return false;
  for (int64_t p : n->attr_ints("pads"))
    if (p != 0) return true;
  return false;
}

// High-bias absorption from `a` (output through a Relu) into `b` (DFQ 4.1; ptq.h). Returns the channels moved.
int absorb_high_bias(Graph& g, Node* a, Node* b, BnStatsMap& bn) {
  Value* out = a->outputs[0];
  if (out->consumers.size() != 1 || out->consumers[0]->op_type != "Relu") return 0;  // only across Relu
  auto it = bn.find(node_key(a));
  Value* ba = a->input(2);
  const Tensor& wb = b->input(1)->constant;
  const int64_t c = wb.dim(1) * b->attr_int("group", 1);  // b's input channels
  if (it == bn.end() || !ba || static_cast<int64_t>(it->second.beta.size()) != c || ba->constant.numel() != c) return 0;
  if (has_padding(b)) return 0;
  BnStats& s = it->second;
  std::vector<float> shift(static_cast<size_t>(c), 0.f);
  int moved = 0;
  for (int64_t i = 0; i < c; ++i) {
    float v = std::max(0.f, s.beta[static_cast<size_t>(i)] - 3.f * s.gamma[static_cast<size_t>(i)]);
    shift[static_cast<size_t>(i)] = v;
    moved += v > 0;
  }
  if (moved == 0) return 0;
  // b_a -= c
  Tensor ta = ba->constant.clone();
  for (int64_t i = 0; i < c; ++i) ta.data<float>()[i] -= shift[static_cast<size_t>(i)];
  a->inputs[2] = g.add_constant(ba->name + "_hba", std::move(ta));
  // b_b += sum_{kh,kw} W_b c (per group: output o reads input channels (o / cout_pg) * cin_pg + i)
  const int64_t co = wb.dim(0), cin_pg = wb.dim(1), hw = wb.dim(2) * wb.dim(3);
  const int64_t cout_pg = co / b->attr_int("group", 1);
  Tensor tb = Tensor::zeros(DType::kF32, {co});
  if (Value* bb = b->input(2)) tb = bb->constant.clone();
  const float* w = wb.data<float>();
  for (int64_t o = 0; o < co; ++o) {
    double acc = 0;
    for (int64_t i = 0; i < cin_pg; ++i)
      for (int64_t k = 0; k < hw; ++k)
        acc += static_cast<double>(w[(o * cin_pg + i) * hw + k]) * shift[static_cast<size_t>((o / cout_pg) * cin_pg + i)];
    tb.data<float>()[o] = static_cast<float>(tb.data<float>()[o] + acc);
  }
  Value* nb = g.add_constant((b->input(2) ? b->input(2)->name : node_key(b) + "_bias") + "_hba", std::move(tb));
  if (b->inputs.size() < 3) b->inputs.resize(3, nullptr);
  b->inputs[2] = nb;
  for (int64_t i = 0; i < c; ++i) s.beta[static_cast<size_t>(i)] -= shift[static_cast<size_t>(i)];
  return moved;
}

// The scale of layer 1's output channel i, s.t. W1[i] / s and W2[:, i] * s have equal ranges.
void scale_pair(Graph& g, Node* a, Node* b, BnStatsMap* bn) {
  const Tensor& w1 = a->input(1)->constant;
  const Tensor& w2 = b->input(1)->constant;
  std::vector<float> r1 = ranges(w1, true, is_depthwise(a)), r2 = ranges(w2, false, is_depthwise(b));
  std::vector<float> inv(r1.size()), s(r1.size());
  for (size_t i = 0; i < r1.size(); ++i) {
    double q = std::sqrt(static_cast<double>(r1[i]) * r2[i]);
    double si = q > 0 && std::isfinite(q) ? r1[i] / q : 1.0;
    s[i] = static_cast<float>(si);
    inv[i] = static_cast<float>(1.0 / si);
  }
  set_weight(g, a, scale_channels(w1, inv, true, is_depthwise(a)));
  scale_bias(g, a, inv);
  scale_stats(bn, a, inv);
  set_weight(g, b, scale_channels(w2, s, false, is_depthwise(b)));
}

void scale_triplet(Graph& g, Node* a, Node* dw, Node* b, BnStatsMap* bn) {
  const Tensor& w1 = a->input(1)->constant;
  const Tensor& w2 = dw->input(1)->constant;
  const Tensor& w3 = b->input(1)->constant;
  std::vector<float> r1 = ranges(w1, true, is_depthwise(a)), r2 = ranges(w2, true, true), r3 = ranges(w3, false, is_depthwise(b));
  const size_t n = r1.size();
  std::vector<float> inv12(n), mid(n), inv23(n), s23(n);
  for (size_t i = 0; i < n; ++i) {
    double c = std::cbrt(static_cast<double>(r1[i]) * r2[i] * r3[i]);
    double s12 = 1, t23 = 1;
    if (r1[i] > 0 && r2[i] > 0 && r3[i] > 0 && std::isfinite(c) && c > 0) {
      s12 = r1[i] / c;
      t23 = c / r3[i];
    }
    inv12[i] = static_cast<float>(1.0 / s12);
    mid[i] = static_cast<float>(s12 / t23);
    inv23[i] = static_cast<float>(1.0 / t23);
    s23[i] = static_cast<float>(t23);
  }
  set_weight(g, a, scale_channels(w1, inv12, true, is_depthwise(a)));
  scale_bias(g, a, inv12);
  scale_stats(bn, a, inv12);
  set_weight(g, dw, scale_channels(w2, mid, true, true));
  scale_bias(g, dw, inv23);  // dw's output: input x 1/S12, weight x S12/S23 -> x 1/S23
  scale_stats(bn, dw, inv23);
  set_weight(g, b, scale_channels(w3, s23, false, is_depthwise(b)));
}

}  // namespace

Status equalize(Graph& g, CleReport& report, BnStatsMap* bn) {
  g.rebuild_uses();
  report.bn_stats = bn && !bn->empty();
  // 1. ReLU6 -> ReLU between convs (AIMET utils.replace_relu6_with_relu: Clip with min 0, parent and child Conv).
  std::vector<Node*> clips;
  for (const auto& up : g.nodes()) {
    Node* c = up.get();
    if (c->op_type != "Clip" || !c->domain.empty() || clip_lower(c) != 0.f) continue;
    Value* x = c->input(0);
    if (!x->producer || !scalable_conv(x->producer) || x->consumers.size() != 1) continue;
    Value* y = c->outputs[0];
    if (y->consumers.empty() || is_graph_output(g, y)) continue;
    bool all_conv = std::all_of(y->consumers.begin(), y->consumers.end(), [](Node* n) { return scalable_conv(n); });
    if (all_conv) clips.push_back(c);
  }
  for (Node* c : clips) {
    Value* x = c->inputs[0];
    Value* y = c->outputs[0];
    std::string name = c->name;
    g.remove_node(c);
    Node* r = g.add_node(name.empty() ? y->name + "_relu" : name, "Relu", "", {x}, {y});
    r->attrs["_opset"] = Attr::of_int(g.opset);
    ++report.relu6_replaced;
  }
  g.rebuild_uses();
  INR_TRY(g.topo_sort());

  // 2. Chains of convs, in graph order, each starting at a conv no chain link reaches.
  std::set<const Node*> linked;
  for (const auto& up : g.nodes())
    if (scalable_conv(up.get()))
      if (Node* nx = next_conv(g, up.get())) linked.insert(nx);
  for (const auto& up : g.nodes()) {
    Node* n = up.get();
    if (!scalable_conv(n) || linked.count(n)) continue;
    std::vector<Node*> chain{n};
    while (Node* nx = next_conv(g, chain.back())) chain.push_back(nx);
    // 3. Split into sets (AIMET convert_layer_group_to_cls_sets): conv -> dw -> conv triplets, else pairs.
    size_t i = 0;
    while (i + 1 < chain.size()) {
      if (!is_depthwise(chain[i]) && is_depthwise(chain[i + 1]) && i + 2 < chain.size() && !is_depthwise(chain[i + 2])) {
        scale_triplet(g, chain[i], chain[i + 1], chain[i + 2], bn);
        report.sets.push_back(node_key(chain[i]) + " -> " + node_key(chain[i + 1]) + " -> " + node_key(chain[i + 2]));
        ++report.triplets;
        i += 2;
      } else {
        scale_pair(g, chain[i], chain[i + 1], bn);
        report.sets.push_back(node_key(chain[i]) + " -> " + node_key(chain[i + 1]));
        ++report.pairs;
        i += 1;
      }
    }
    // 4. High-bias absorption along the scaled chain (AIMET: per CLS pair, after the scaling).
    if (bn && !bn->empty())
      for (size_t k = 0; k + 1 < chain.size(); ++k)
        if (int moved = absorb_high_bias(g, chain[k], chain[k + 1], *bn)) {
          ++report.hba_pairs;
          report.hba_channels += moved;
        }
  }
  g.remove_dead();
  g.rebuild_uses();
  return g.topo_sort();
}

}  // namespace inr::quant
