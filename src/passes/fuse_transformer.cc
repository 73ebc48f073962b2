// Fusion of the transformer blocks that opset-13 exporters (torch.onnx below opset 17/20) spell out:
//   LayerNorm: m = ReduceMean(x); d = Sub(x, m); v = ReduceMean(Pow(d, 2)); s = Sqrt(Add(v, eps));
//              y = Div(d, s) [* gamma] [+ beta]                     => LayerNormalization(x, gamma, beta)
//              (ReduceMean over the trailing k dims with keepdims=1; gamma / beta constants that broadcast
//              to those dims; a missing gamma becomes ones)
//   GELU:      Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5), in any of the three orders of the two Muls,
//              Div(x, sqrt 2) also as Mul(x, 1/sqrt 2)             => Gelu(x) (opset 20, approximate none)
//   Linear:    Add(MatMul(x [..., K], W [K, N]), b [N]), W and b constant
//                                                      => Reshape(Gemm(Reshape(x, [-1, K]), W, b), [..., N])
//              (the bias rides in the GEMM instead of a second pass over the activations; the Reshapes
//              are views)
//   Scale:     Mul(MatMul(Q, K), s), s a constant scalar, Q or K a Gemm's output through Reshape/Transpose
//                                                      => that Gemm's alpha and beta times s
//   Parallel:  Gemms (as Linear above) over one x    => one Gemm of their weights side by side + Split
// Like fuse.cc, every intermediate must have exactly the consumers of the pattern and not be a graph
// output. The fused ops run one kernel (oneDNN layer_normalization / eltwise gelu_erf) instead of 9 and 5
// element-wise passes over the activations.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "core/log.h"
#include "ops/op_util.h"
#include "passes/passes.h"

namespace inr {

namespace {
constexpr int64_t kLayerNormOpset = 17;
constexpr int64_t kGeluOpset = 20;
// How close a constant must be to sqrt(2), 1/sqrt(2), 1 or 0.5 (exporters write them as f32).
constexpr double kConstantRtol = 1e-6;

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}
bool private_use(const Graph& g, const Value* v, size_t uses) {
  return v != nullptr && v->consumers.size() == uses && !is_graph_output(g, v);
}
// The one consumer of v when it is private and of op `op`.
Node* only_consumer(const Graph& g, const Value* v, Op op) {
  if (!private_use(g, v, 1)) return nullptr;
  Node* n = v->consumers[0];
  return n->op == op && n->outputs.size() == 1 ? n : nullptr;
}
// The other operand of a binary node, given one.
Value* other_input(const Node* n, const Value* v) {
  if (n->inputs.size() != 2) return nullptr;
  if (n->inputs[0] == v) return n->inputs[1];
  if (n->inputs[1] == v) return n->inputs[0];
  return nullptr;
}
bool f32_scalar_near(const Value* v, double expect) {
  if (v == nullptr || !v->is_constant() || v->constant.dtype() != DType::kF32 || v->constant.numel() != 1)
    return false;
  double x = v->constant.data<float>()[0];
  return std::abs(x - expect) <= kConstantRtol * std::abs(expect) + 1e-7;
}
bool f32_scalar(const Value* v, float* out) {
  if (v == nullptr || !v->is_constant() || v->constant.dtype() != DType::kF32 || v->constant.numel() != 1)
    return false;
  *out = v->constant.data<float>()[0];
  return true;
}

// The number k of trailing dims a keepdims ReduceMean reduces, or 0 if it is not such a reduction.
int64_t trailing_reduction(const Node& n) {
  if (n.op != Op::kReduceMean || n.attr_int("keepdims", 1) == 0 || n.inputs.empty()) return 0;
  auto rank = static_cast<int64_t>(n.inputs[0]->shape.size());
  Result<std::vector<int64_t>> axes = axes_from_input_or_attr(n, 1, 18);
  if (!axes || axes->empty()) return 0;
  std::vector<int64_t> a = *axes;
  for (int64_t& x : a) x = x < 0 ? x + rank : x;
  std::sort(a.begin(), a.end());
  auto k = static_cast<int64_t>(a.size());
  for (int64_t i = 0; i < k; ++i)
    if (a[i] != rank - k + i) return 0;
  return k;
}

// A constant parameter that LayerNormalization accepts for normalised dims `norm`.
bool fits_norm(const Value* p, const Shape& norm) {
  if (p == nullptr || !p->is_constant() || p->dtype != DType::kF32 || p->shape.size() > norm.size())
    return false;
  Result<Shape> b = broadcast_shapes(p->shape, norm);
  return b && *b == norm;
}

bool fuse_layer_norm_at(Graph& g, Node* m1) {
  int64_t k = trailing_reduction(*m1);
  if (k == 0) return false;
  Value* x = m1->inputs[0];
  Node* sub = only_consumer(g, m1->outputs[0], Op::kSub);
  if (!sub || sub->inputs[0] != x || sub->inputs[1] != m1->outputs[0]) return false;
  Value* d = sub->outputs[0];
  if (!private_use(g, d, 2)) return false;
  Node* pow = nullptr;
  Node* div = nullptr;
  for (Node* c : d->consumers) {
    if (c->op == Op::kPow && c->inputs[0] == d && f32_scalar_near(c->inputs[1], 2.0)) pow = c;
    if (c->op == Op::kDiv && c->inputs[0] == d) div = c;
  }
  if (!pow || !div) return false;
  Node* m2 = only_consumer(g, pow->outputs[0], Op::kReduceMean);
  if (!m2 || trailing_reduction(*m2) != k) return false;
  Node* add_eps = only_consumer(g, m2->outputs[0], Op::kAdd);
  float eps = 0;
  if (!add_eps || !f32_scalar(other_input(add_eps, m2->outputs[0]), &eps)) return false;
  Node* sqrt = only_consumer(g, add_eps->outputs[0], Op::kSqrt);
  if (!sqrt || div->inputs[1] != sqrt->outputs[0] || !private_use(g, sqrt->outputs[0], 1)) return false;
  Shape norm(x->shape.end() - k, x->shape.end());
  std::vector<Node*> absorbed = {m1, sub, pow, m2, add_eps, sqrt, div};
  Value* out = div->outputs[0];
  Value* gamma = nullptr;
  Value* beta = nullptr;
  if (Node* mul = only_consumer(g, out, Op::kMul); mul && fits_norm(other_input(mul, out), norm)) {
    gamma = other_input(mul, out);
    absorbed.push_back(mul);
    out = mul->outputs[0];
  }
  if (Node* add = only_consumer(g, out, Op::kAdd); add && fits_norm(other_input(add, out), norm)) {
    beta = other_input(add, out);
    absorbed.push_back(add);
    out = add->outputs[0];
  }
  if (gamma == nullptr) {
    Tensor ones = Tensor::empty(DType::kF32, norm);
    std::fill(ones.data<float>(), ones.data<float>() + ones.numel(), 1.f);
    gamma = g.add_constant(m1->name + "_ln_scale", ones);
  }
  std::string name = m1->name;
  log_debug("fuse: {} .. {} -> LayerNormalization", m1->label(), absorbed.back()->label());
  for (Node* n : absorbed) g.remove_node(n);
  std::vector<Value*> ins = {x, gamma};
  if (beta) ins.push_back(beta);
  Node* ln = g.add_node(name, "LayerNormalization", "", ins, {out});
  ln->attrs["axis"] = Attr::of_int(-k);
  ln->attrs["epsilon"] = Attr::of_float(eps);
  ln->attrs["_opset"] = Attr::of_int(kLayerNormOpset);
  return true;
}

// x for q = Div(x, sqrt 2) or Mul(x, 1/sqrt 2) (either operand order for Mul); nullptr otherwise.
Value* gelu_input(const Node* scale) {
  if (scale == nullptr || scale->inputs.size() != 2) return nullptr;
  if (scale->op == Op::kDiv && f32_scalar_near(scale->inputs[1], std::numbers::sqrt2))
    return scale->inputs[0];
  if (scale->op != Op::kMul) return nullptr;
  if (f32_scalar_near(scale->inputs[1], 1 / std::numbers::sqrt2)) return scale->inputs[0];
  if (f32_scalar_near(scale->inputs[0], 1 / std::numbers::sqrt2)) return scale->inputs[1];
  return nullptr;
}

// The part both GELU spellings share: Add(Erf(x / sqrt 2), 1), with the scaled x read by the Erf alone.
struct ErfPlusOne {
  Value* x = nullptr;
  Node* scale = nullptr;
  Node* add = nullptr;
};
std::optional<ErfPlusOne> match_erf_plus_one(Graph& g, Node* erf) {
  Value* q = erf->inputs[0];
  Node* scale = q->producer;
  Value* x = gelu_input(scale);
  if (x == nullptr || !private_use(g, q, 1)) return std::nullopt;
  Node* add = only_consumer(g, erf->outputs[0], Op::kAdd);
  if (!add || !f32_scalar_near(other_input(add, erf->outputs[0]), 1.0)) return std::nullopt;
  return ErfPlusOne{x, scale, add};
}

// Replaces the matched nodes by one Gelu named after the Erf, from x to `out`.
void replace_with_gelu(Graph& g, Node* erf, Value* x, Value* out, std::initializer_list<Node*> matched) {
  std::string name = erf->name;
  for (Node* n : matched) g.remove_node(n);
  Node* gelu = g.add_node(name, "Gelu", "", {x}, {out});
  gelu->attrs["_opset"] = Attr::of_int(kGeluOpset);
}

// GELU with the two Muls after the Add: (x * (erf + 1)) * 0.5 or ((erf + 1) * 0.5) * x.
bool fuse_gelu_at(Graph& g, Node* erf) {
  std::optional<ErfPlusOne> m = match_erf_plus_one(g, erf);
  if (!m) return false;
  Value* a = m->add->outputs[0];
  Node* m1 = only_consumer(g, a, Op::kMul);
  if (!m1) return false;
  Node* m2 = only_consumer(g, m1->outputs[0], Op::kMul);
  if (!m2) return false;
  Value* o1 = other_input(m1, a);
  Value* o2 = other_input(m2, m1->outputs[0]);
  bool x_then_half = o1 == m->x && f32_scalar_near(o2, 0.5);
  bool half_then_x = f32_scalar_near(o1, 0.5) && o2 == m->x;
  if (!x_then_half && !half_then_x) return false;
  log_debug("fuse: {} .. {} -> Gelu", m->scale->label(), m2->label());
  replace_with_gelu(g, erf, m->x, m2->outputs[0], {m->scale, erf, m->add, m1, m2});
  return true;
}

// GELU with x * 0.5 first (Hugging Face style): h = Mul(x, 0.5); out = Mul(h, Add(Erf(x / sqrt 2), 1)).
bool fuse_gelu_half_first_at(Graph& g, Node* erf) {
  std::optional<ErfPlusOne> m = match_erf_plus_one(g, erf);
  if (!m) return false;
  Node* mul = only_consumer(g, m->add->outputs[0], Op::kMul);
  if (!mul) return false;
  Value* h = other_input(mul, m->add->outputs[0]);
  Node* half = h ? h->producer : nullptr;
  if (!half || half->op != Op::kMul || !private_use(g, h, 1) || !f32_scalar_near(other_input(half, m->x), 0.5))
    return false;
  replace_with_gelu(g, erf, m->x, mul->outputs[0], {half, m->scale, erf, m->add, mul});
  return true;
}
bool fuse_linear_at(Graph& g, Node* mm) {
  if (mm->inputs.size() != 2) return false;
  Value* x = mm->inputs[0];
  Value* w = mm->inputs[1];
  if (x->dtype != DType::kF32 || x->shape.size() < 2 || !w->is_constant() || w->dtype != DType::kF32 ||
      w->shape.size() != 2)
    return false;
  Value* y = mm->outputs[0];
  Node* add = only_consumer(g, y, Op::kAdd);
  if (!add) return false;
  Value* b = other_input(add, y);
  int64_t k = w->shape[0], n = w->shape[1];
  if (!b || !b->is_constant() || b->dtype != DType::kF32 || b->shape != Shape{n}) return false;
  Value* out = add->outputs[0];
  Shape out_shape = out->shape;
  std::string name = mm->name;
  g.remove_node(add);
  g.remove_node(mm);
  Value* x2 = x;
  if (x->shape.size() != 2) {
    x2 = g.add_value_unique(name + "_rows");
    Node* r =
        g.add_node(name + "_rows", "Reshape", "",
                   {x, g.add_constant(name + "_rows_shape",
                                      Tensor::from_vector(DType::kI64, {2}, std::vector<int64_t>{-1, k}))},
                   {x2});
    r->attrs["_opset"] = Attr::of_int(kDefaultOpset);
  }
  Value* y2 = out_shape.size() == 2 ? out : g.add_value_unique(name + "_gemm");
  Node* gemm = g.add_node(name, "Gemm", "", {x2, w, b}, {y2});
  gemm->attrs["_opset"] = Attr::of_int(kDefaultOpset);
  if (y2 != out) {
    std::vector<int64_t> shape(out_shape.begin(), out_shape.end());
    Node* r = g.add_node(
        name + "_unrows", "Reshape", "",
        {y2, g.add_constant(name + "_unrows_shape",
                            Tensor::from_vector(DType::kI64, {static_cast<int64_t>(shape.size())}, shape))},
        {out});
    r->attrs["_opset"] = Attr::of_int(kDefaultOpset);
  }
  return true;
}

// Mul(MatMul(Q, K), s) with Q (or K) the output of a linear layer's Gemm seen through Reshape/Transpose
// views, each used only on that path: the Gemm's alpha and beta take the factor s and the Mul goes, one
// pass fewer over attention's [B, heads, T, T] scores. s (W x + b) becomes (s W) x + s b: the same up to
// f32 rounding.
bool fold_attention_scale_at(Graph& g, Node* mul) {
  if (mul->inputs.size() != 2 || mul->outputs.size() != 1 || is_graph_output(g, mul->outputs[0])) return false;
  float s = 0;
  Value* scores = nullptr;
  if (f32_scalar(mul->inputs[1], &s)) {
    scores = mul->inputs[0];
  } else if (f32_scalar(mul->inputs[0], &s)) {
    scores = mul->inputs[1];
  } else {
    return false;
  }
  Node* mm = scores->producer;
  if (mm == nullptr || mm->op != Op::kMatMul || mm->inputs.size() != 2 || scores->dtype != DType::kF32 ||
      !private_use(g, scores, 1))
    return false;
  for (Value* side : mm->inputs) {
    Value* v = side;
    while (v->producer && (v->producer->op == Op::kReshape || v->producer->op == Op::kTranspose) &&
           private_use(g, v, 1))
      v = v->producer->inputs[0];
    Node* gemm = v->producer;
    // (A Gemm that fuse_linear_at just made has untyped outputs until shapes are inferred again; its weight
    // is the original f32 constant.)
    if (gemm == nullptr || gemm->op != Op::kGemm || !private_use(g, v, 1) || gemm->inputs.size() < 2 ||
        gemm->inputs[1]->dtype != DType::kF32)
      continue;
    if (side == mm->inputs[0] && side == mm->inputs[1]) return false;  // Q K^T of one tensor: s would count twice
    log_debug("fuse: {} folded into {} (alpha, beta)", mul->label(), gemm->label());
    gemm->attrs["alpha"] = Attr::of_float(gemm->attr_float("alpha", 1.f) * s);
    gemm->attrs["beta"] = Attr::of_float(gemm->attr_float("beta", 1.f) * s);
    Value* out = mul->outputs[0];
    g.remove_node(mul);
    g.replace_all_uses(out, scores);
    return true;
  }
  return false;
}

// x [..., K] as fuse_linear_at leaves it for Gemm node `gm`: gm reads Reshape(x, [-1, K]) and nothing else
// does; nullptr otherwise (and for a Gemm that transposes or whose B / C are not f32 constants of the
// linear-layer shapes).
Value* linear_input(const Graph& g, const Node* gm) {
  if (gm->op != Op::kGemm || gm->inputs.size() < 2 || gm->outputs.size() != 1) return nullptr;
  if (gm->attr_int("transA", 0) != 0 || gm->attr_int("transB", 0) != 0) return nullptr;
  const Value* w = gm->inputs[1];
  const Value* b = gm->input(2);
  if (!w->is_constant() || w->dtype != DType::kF32 || w->shape.size() != 2) return nullptr;
  if (b != nullptr && (!b->is_constant() || b->dtype != DType::kF32 || b->shape != Shape{w->shape[1]}))
    return nullptr;
  Value* rows = gm->inputs[0];
  Node* r = rows->producer;
  if (r == nullptr || r->op != Op::kReshape || !private_use(g, rows, 1) || r->inputs.size() != 2 ||
      !r->inputs[1]->is_constant() || r->inputs[1]->constant.numel() != 2 || r->inputs[0]->shape.empty() ||
      r->inputs[0]->shape.back() != w->shape[0])
    return nullptr;
  return r->inputs[0];
}

// Linear layers over the same activations (attention's Q, K and V projections, each a Gemm of
// fuse_linear_at): one Gemm with the weight matrices side by side (alpha and beta, a folded attention
// scale, multiplied into each block) and a Split of its [rows, N1 + N2 + ...] output, so the activations are
// read once and the GEMM is wider.
bool merge_parallel_linears(Graph& g) {
  g.rebuild_uses();
  std::vector<std::pair<Value*, std::vector<Node*>>> groups;
  for (const auto& up : g.nodes()) {
    Value* x = linear_input(g, up.get());
    if (x == nullptr) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [x](const auto& e) { return e.first == x; });
    if (it == groups.end()) {
      groups.push_back({x, {up.get()}});
    } else {
      it->second.push_back(up.get());
    }
  }
  for (auto& [x, gemms] : groups) {
    if (gemms.size() < 2) continue;
    int64_t k = x->shape.back(), total = 0;
    for (Node* gm : gemms) total += gm->inputs[1]->shape[1];
    Tensor w = Tensor::empty(DType::kF32, {k, total});
    Tensor b = Tensor::empty(DType::kF32, {total});
    std::vector<int64_t> sizes;
    std::vector<Value*> outs;
    int64_t col = 0;
    for (Node* gm : gemms) {
      const Tensor& wi = gm->inputs[1]->constant;
      int64_t n = wi.shape()[1];
      float alpha = gm->attr_float("alpha", 1.f), beta = gm->attr_float("beta", 1.f);
      for (int64_t r = 0; r < k; ++r)
        for (int64_t j = 0; j < n; ++j) w.data<float>()[r * total + col + j] = alpha * wi.data<float>()[r * n + j];
      for (int64_t j = 0; j < n; ++j)
        b.data<float>()[col + j] = gm->input(2) ? beta * gm->input(2)->constant.data<float>()[j] : 0.f;
      sizes.push_back(n);
      outs.push_back(gm->outputs[0]);
      col += n;
    }
    std::string name = gemms[0]->name + "_merged";
    log_debug("fuse: {} Gemms over {} -> {} + Split", gemms.size(), x->name, name);
    for (Node* gm : gemms) g.remove_node(gm);
    Value* rows = g.add_value_unique(name + "_rows");
    Node* r = g.add_node(name + "_rows", "Reshape", "",
                         {x, g.add_constant(name + "_rows_shape",
                                            Tensor::from_vector(DType::kI64, {2}, std::vector<int64_t>{-1, k}))},
                         {rows});
    r->attrs["_opset"] = Attr::of_int(kDefaultOpset);
    Value* y = g.add_value_unique(name);
    Node* gemm = g.add_node(name, "Gemm", "", {rows, g.add_constant(name + "_w", std::move(w)),
                                               g.add_constant(name + "_b", std::move(b))}, {y});
    gemm->attrs["_opset"] = Attr::of_int(kDefaultOpset);
    auto count = static_cast<int64_t>(sizes.size());
    Node* split = g.add_node(name + "_split", "Split", "",
                             {y, g.add_constant(name + "_sizes", Tensor::from_vector(DType::kI64, {count}, sizes))}, outs);
    split->attrs["axis"] = Attr::of_int(1);
    split->attrs["_opset"] = Attr::of_int(kDefaultOpset);
    return true;
  }
  return false;
}
}  // namespace

Status fuse_transformer(Graph& g) {
  int layer_norms = 0, gelus = 0, linears = 0, scales = 0;
  // Each fusion removes nodes, so rescan after every success (the patterns are few per block).
  for (bool changed = true; changed;) {
    changed = false;
    g.rebuild_uses();
    for (const auto& up : g.nodes()) {
      Node* n = up.get();
      if (n->op == Op::kReduceMean && fuse_layer_norm_at(g, n)) {
        ++layer_norms;
      } else if (n->op == Op::kErf && (fuse_gelu_at(g, n) || fuse_gelu_half_first_at(g, n))) {
        ++gelus;
      } else if (n->op == Op::kMatMul && fuse_linear_at(g, n)) {
        ++linears;
      } else if (n->op == Op::kMul && fold_attention_scale_at(g, n)) {
        ++scales;
      } else {
        continue;
      }
      changed = true;
      break;
    }
  }
  // After the loop: the attention scale folds into the query's own Gemm first.
  int merged = 0;
  while (merge_parallel_linears(g)) ++merged;
  log_info("pass fuse_transformer: {} LayerNormalization, {} Gelu, {} MatMul+Add -> Gemm fused, {} attention scales "
           "folded into a Gemm, {} groups of Gemms over one input merged", layer_norms, gelus, linears, scales, merged);
  g.remove_dead();
  return g.topo_sort();
}

}  // namespace inr
