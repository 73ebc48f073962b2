// Element-wise nodes in the producer's layout: activations and Gelu/Tanh/Exp/Sqrt (eltwise), Add/Sub/Mul/Div (binary, src1 may
// broadcast), and inference BatchNormalization (when the passes did not fold it into a convolution).
// Each computes in place when its input's buffer is dead after the node.
#include <limits>
#include <string>
#include <vector>

#include "backends/onednn/onednn_compiler.h"

namespace inr::onednn {

namespace {

// Clip's bound `i` (1: min, 2: max): an attribute before opset 11, a constant scalar input after.
float clip_bound(const Node& n, size_t i, float def) {
  if (n.attr_int("_opset", 13) < 11) return n.attr_float(i == 1 ? "min" : "max", def);
  const Value* b = n.input(i);
  if (b == nullptr) return def;
  return b->constant.data<float>()[0];
}

Shape shape_of(const memory::desc& md) {
  Dims d = md.dims();
  return Shape(d.begin(), d.end());
}

// `full` and `part` (same rank, part[i] == full[i] or 1) with adjacent dims merged where part either spans
// both or broadcasts over both; dims of extent 1 in `full` are dropped.
std::pair<Shape, Shape> merge_broadcast_dims(const Shape& full, const Shape& part) {
  Shape f, p;
  int last = -1;  // 0: part broadcasts the current run, 1: spans it
  for (size_t i = 0; i < full.size(); ++i) {
    if (full[i] == 1) continue;
    int kind = part[i] == full[i] ? 1 : 0;
    if (kind == last) {
      f.back() *= full[i];
      p.back() *= part[i];
    } else {
      f.push_back(full[i]);
      p.push_back(part[i]);
      last = kind;
    }
  }
  if (f.empty()) f = p = Shape{1};
  return {f, p};
}

template <typename F>
void broadcast_rows(const float* a, const float* b, float* y, const std::vector<int64_t>& full,
                    const std::vector<int64_t>& b_strides, F f) {
  size_t r = full.size();
  int64_t inner = full[r - 1], inner_step = b_strides[r - 1];
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < r; ++i) rows *= full[i];
  // Below this many elements the OpenMP team costs more than it saves.
  constexpr int64_t kParallelElems = 1 << 15;
#pragma omp parallel for schedule(static) if (rows * inner >= kParallelElems)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t off = 0;
    for (int64_t i = static_cast<int64_t>(r) - 2, rest = row; i >= 0; --i) {
      off += (rest % full[static_cast<size_t>(i)]) * b_strides[static_cast<size_t>(i)];
      rest /= full[static_cast<size_t>(i)];
    }
    const float* ar = a + row * inner;
    const float* br = b + off;
    float* yr = y + row * inner;
    if (inner_step == 0) {
      float bv = *br;
      for (int64_t j = 0; j < inner; ++j) yr[j] = f(ar[j], bv);
    } else {
      for (int64_t j = 0; j < inner; ++j) yr[j] = f(ar[j], br[j]);
    }
  }
}

// y = a (op) b over plain f32 memory, `part` (b's dims, same rank as `full`, each full[i] or 1) broadcast.
void add_broadcast_binary(Compiler& c, Op op, const Shape& full, const Shape& part, const Version& a, const Version& b,
                          const Version& y, int step, const std::string& name) {
  std::vector<int64_t> f(full.begin(), full.end()), strides(full.size());
  int64_t st = 1;
  for (size_t i = full.size(); i-- > 0;) {
    strides[i] = part[i] == 1 ? 0 : st;
    st *= part[i];
  }
  c.add_custom([op, f, strides](void* const* data) {
    auto* ap = static_cast<const float*>(data[0]);
    auto* bp = static_cast<const float*>(data[1]);
    auto* yp = static_cast<float*>(data[2]);
    switch (op) {
      case Op::kAdd:
        return broadcast_rows(ap, bp, yp, f, strides, [](float u, float v) { return u + v; });
      case Op::kSub:
        return broadcast_rows(ap, bp, yp, f, strides, [](float u, float v) { return u - v; });
      case Op::kMul:
        return broadcast_rows(ap, bp, yp, f, strides, [](float u, float v) { return u * v; });
      default:
        return broadcast_rows(ap, bp, yp, f, strides, [](float u, float v) { return u / v; });
    }
  }, {a, b, y}, step, name, "inr broadcast binary");
}

// Whether every node strictly between partition steps `from` and `to` is a view (no memory is read or written).
bool only_views_between(const Compiler& c, int from, int to) {
  for (int s = from + 1; s < to; ++s) {
    Op op = c.request().nodes[static_cast<size_t>(s)]->op;
    if (op != Op::kReshape && op != Op::kFlatten) return false;
  }
  return true;
}

// Add/Sub/Mul/Div nodes that become a post-op of the matmul producing an operand:
//  - a constant operand (attention's relative-position bias over the scores): a binary post-op;
//  - Add of a same-shape operand r that nobody reads afterwards and that was computed before the matmul
//    (a transformer's residual stream after fc2 or the attention projection): the matmul accumulates into
//    r's buffer (sum post-op) and the Add is that buffer.
bool fuse_into_matmul(Compiler& c, Node& n, Value* a, Value* b, int step) {
  Value* y = n.outputs[0];
  if (c.is_external(y)) return false;
  using alg = dnnl::algorithm;
  alg op = n.op == Op::kAdd ? alg::binary_add : n.op == Op::kSub ? alg::binary_sub : n.op == Op::kMul ? alg::binary_mul
                                                                                                     : alg::binary_div;
  // A constant second operand (the first for Add/Mul), broadcast into the matmul's output.
  for (int swap = 0; swap < 2; ++swap) {
    Value* mm = swap ? b : a;
    Value* k = swap ? a : b;
    if (swap && n.op != Op::kAdd && n.op != Op::kMul) break;
    if (c.matmul_step(mm) < 0 || !k->is_constant() || k->dtype != DType::kF32 || mm->shape != y->shape) continue;
    Shape padded(y->shape.size() - std::min(y->shape.size(), k->shape.size()), 1);
    padded.insert(padded.end(), k->shape.begin(), k->shape.end());
    memory::desc dst = c.matmul_dst(mm);
    if (padded.size() != static_cast<size_t>(dst.data.ndims)) continue;
    memory::desc k_md = plain_md(padded);
    Version kv = c.owned_constant(k->constant.data<float>(), k_md, k_md);
    if (c.append_post_op(mm, step, [&](dnnl::post_ops& ops) {
          int idx = ops.len();
          ops.append_binary(op, k_md);
          return std::vector<std::pair<int, Version>>{{DNNL_ARG_ATTR_MULTIPLE_POST_OP(idx) | DNNL_ARG_SRC_1, kv}};
        })) {
      c.alias_output(y, c.current(mm), step);
      return true;
    }
  }
  if (n.op != Op::kAdd || a->shape != y->shape || b->shape != y->shape) return false;
  for (int swap = 0; swap < 2; ++swap) {
    Value* h = swap ? a : b;
    Value* r = swap ? b : a;
    int mm_step = c.matmul_step(h);
    memory::desc dst = c.matmul_dst(h);
    Version rv = c.current(r);
    int r_step = c.producer_step(r);
    if (rv.md != plain_md(r) || dst != plain_md(shape_of(dst)) || rv.ref.place != Place::kArena ||
        !c.can_overwrite(rv, step, {}) || rv.ref == c.matmul_src(h) || rv.ref == c.current(h).ref || r_step < 0 ||
        r_step >= mm_step || !only_views_between(c, mm_step, step))
      continue;
    Version into{dst, rv.ref};
    if (c.append_post_op(h, step, [](dnnl::post_ops& ops) {
          ops.append_sum(1.f);
          return std::vector<std::pair<int, Version>>{};
        }, &into)) {
      c.alias_output(y, Version{plain_md(y), rv.ref}, step);
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::vector<EltwiseStage>> eltwise_stages(const Node& n) {
  using alg = dnnl::algorithm;
  switch (n.op) {
    case Op::kRelu:
      return std::vector<EltwiseStage>{{alg::eltwise_relu, 0.f, 0.f}};
    case Op::kLeakyRelu:
      return std::vector<EltwiseStage>{{alg::eltwise_relu, n.attr_float("alpha", 0.01f), 0.f}};
    case Op::kSigmoid:
      return std::vector<EltwiseStage>{{alg::eltwise_logistic, 0.f, 0.f}};
    case Op::kHardSwish:
      return std::vector<EltwiseStage>{{alg::eltwise_hardswish, 0.f, 0.f}};
    case Op::kGelu:
      return std::vector<EltwiseStage>{
          {n.attr_string("approximate", "none") == "tanh" ? alg::eltwise_gelu_tanh : alg::eltwise_gelu_erf, 0.f, 0.f}};
    case Op::kTanh:
      return std::vector<EltwiseStage>{{alg::eltwise_tanh, 0.f, 0.f}};
    case Op::kExp:
      return std::vector<EltwiseStage>{{alg::eltwise_exp, 0.f, 0.f}};
    case Op::kSqrt:
      return std::vector<EltwiseStage>{{alg::eltwise_sqrt, 0.f, 0.f}};
    case Op::kHardSigmoid:
      // oneDNN 2.6 has no hardsigmoid: max(0, min(1, alpha*x + beta)) = clip(linear(x), 0, 1).
      return std::vector<EltwiseStage>{{alg::eltwise_linear, n.attr_float("alpha", 0.2f), n.attr_float("beta", 0.5f)},
                                       {alg::eltwise_clip, 0.f, 1.f}};
    case Op::kClip: {
      if (n.attr_int("_opset", 13) >= 11)
        for (size_t i = 1; i < 3; ++i) {
          const Value* b = n.input(i);
          if (b && (!b->is_constant() || b->constant.dtype() != DType::kF32 || b->constant.numel() != 1))
            return error("Clip bound is not a constant f32 scalar");
        }
      return std::vector<EltwiseStage>{{alg::eltwise_clip, clip_bound(n, 1, std::numeric_limits<float>::lowest()),
                                        clip_bound(n, 2, std::numeric_limits<float>::max())}};
    }
    default:
      return error("{} is not an eltwise op", n.op_type);
  }
}

Status lower_eltwise(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  INR_ASSIGN_OR_RETURN(std::vector<EltwiseStage> stages, eltwise_stages(n));
  // Right after a matmul that only this node reads (GELU after a transformer's fc1): an eltwise post-op of
  // the matmul instead of another pass over its output.
  if (stages.size() == 1 && !c.is_external(y) &&
      c.append_post_op(x, step, [&](dnnl::post_ops& ops) {
        ops.append_eltwise(1.f, stages[0].alg, stages[0].alpha, stages[0].beta);
        return std::vector<std::pair<int, Version>>{};
      })) {
    c.alias_output(y, c.current(x), step);
    return Status::ok();
  }
  Version src = c.current(x);
  bool dst_is_slot = c.is_external(y) && src.md == plain_md(y->shape);
  Version dst = !dst_is_slot && c.can_overwrite(src, step, {}) ? c.alias_output(y, src, step)
                                                                : c.output(y, src.md, step);
  for (size_t i = 0; i < stages.size(); ++i) {
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, stages[i].alg, src.md, stages[i].alpha,
                                  stages[i].beta);
    dnnl::eltwise_forward::primitive_desc pd(d, Compiler::base_attr(), c.engine());
    c.add_primitive(dnnl::eltwise_forward(pd), pd, {{DNNL_ARG_SRC, i == 0 ? src : dst}, {DNNL_ARG_DST, dst}}, step,
                    n.name);
  }
  return Status::ok();
}

Status lower_binary(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[1];
  Value* y = n.outputs[0];
  if (a->shape != y->shape) std::swap(a, b);  // supports() only lets commutative ops get here swapped
  dnnl::algorithm alg = n.op == Op::kAdd   ? dnnl::algorithm::binary_add
                        : n.op == Op::kSub ? dnnl::algorithm::binary_sub
                        : n.op == Op::kMul ? dnnl::algorithm::binary_mul
                                           : dnnl::algorithm::binary_div;
  if (fuse_into_matmul(c, n, a, b, step)) return Status::ok();
  Version src0, src1;
  if (b->shape == y->shape) {
    // Same shape: both operands in one layout, preferring a blocked one over plain.
    Version av = c.current(a), bv = c.current(b);
    memory::desc target = av.md == plain_md(a->shape) && bv.md != plain_md(b->shape) ? bv.md : av.md;
    src0 = c.as(a, target, step);
    src1 = c.as(b, target, step);
  } else {
    // Broadcast src1: a plain view with the output's rank (leading 1s), over its plain version.
    src0 = c.current(a);
    Version bv = c.as(b, plain_md(b->shape), step);
    Shape padded(y->shape.size() - b->shape.size(), 1);
    padded.insert(padded.end(), b->shape.begin(), b->shape.end());
    src1 = Version{plain_md(padded), bv.ref};
  }
  bool dst_is_slot = c.is_external(y) && src0.md == plain_md(y->shape);
  Version dst = !dst_is_slot && c.can_overwrite(src0, step, {src1}) ? c.alias_output(y, src0, step)
                                                                     : c.output(y, src0.md, step);
  if (b->shape != y->shape && src0.md == plain_md(y->shape)) {
    // Plain operands: the same bytes seen with the fewest dims (runs of dims that src1 either spans or
    // broadcasts over merged). oneDNN's fast binary kernels know a few broadcast patterns by rank (per
    // channel, per batch and spatial); Swin's window mask, [1, nW, heads, 49, 49] + [1, nW, 1, 49, 49], is
    // none of them at rank 5 and fell to the reference kernel, but [nW, heads, 2401] + [nW, 1, 2401] is one.
    auto [full, part] = merge_broadcast_dims(y->shape, shape_of(src1.md));
    src0 = Version{plain_md(full), src0.ref};
    src1 = Version{plain_md(part), src1.ref};
    dst = Version{plain_md(full), dst.ref};
  }
  dnnl::binary::desc d(alg, src0.md, src1.md, dst.md);
  dnnl::binary::primitive_desc pd(d, Compiler::base_attr(), c.engine());
  if (is_reference_impl(pd) && b->shape != y->shape && src0.md == plain_md(shape_of(src0.md))) {
    // Still no fast kernel (a broadcast over the batch and a middle dim: Swin's mask at batch > 1): inr's
    // own loop over rows of the merged shapes, split across the OpenMP team.
    add_broadcast_binary(c, n.op, shape_of(src0.md), shape_of(src1.md), src0, src1, dst, step, n.name);
    return Status::ok();
  }
  c.add_primitive(dnnl::binary(pd), pd, {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}}, step,
                  n.name);
  return Status::ok();
}

Status lower_batch_norm(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  Version src = c.current(x);
  memory::desc vec_md = plain_md({x->shape[1]});
  auto param = [&](size_t i) { return c.owned_constant(n.inputs[i]->constant.data<float>(), vec_md, vec_md); };
  Version scale = param(1), shift = param(2), mean = param(3), var = param(4);
  using flags = dnnl::normalization_flags;
  dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, src.md,
                                            n.attr_float("epsilon", 1e-5f),
                                            flags::use_global_stats | flags::use_scale | flags::use_shift);
  dnnl::batch_normalization_forward::primitive_desc pd(d, Compiler::base_attr(), c.engine());
  bool dst_is_slot = c.is_external(y) && src.md == plain_md(y->shape);
  Version dst = !dst_is_slot && c.can_overwrite(src, step, {}) ? c.alias_output(y, src, step)
                                                                : c.output(y, src.md, step);
  c.add_primitive(dnnl::batch_normalization_forward(pd), pd,
                  {{DNNL_ARG_SRC, src},
                   {DNNL_ARG_DST, dst},
                   {DNNL_ARG_MEAN, mean},
                   {DNNL_ARG_VARIANCE, var},
                   {DNNL_ARG_SCALE, scale},
                   {DNNL_ARG_SHIFT, shift}},
                  step, n.name);
  return Status::ok();
}

// LayerNormalization over the last axis: oneDNN layer_normalization with per-channel scale and shift
// (Scale / B broadcast to [C] once at compile; a missing B is zeros). Statistics are computed, not given.
Status lower_layer_norm(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  int64_t ch = x->shape.back();
  auto channel_vector = [&](const Value* p, float fill) {
    std::vector<float> v(static_cast<size_t>(ch), fill);
    if (p == nullptr) return v;
    const Tensor& t = p->constant;
    for (int64_t j = 0; j < ch; ++j) v[static_cast<size_t>(j)] = t.data<float>()[t.numel() == 1 ? 0 : j];
    return v;
  };
  std::vector<float> scale = channel_vector(n.inputs[1], 1.f), shift = channel_vector(n.input(2), 0.f);
  memory::desc vec_md = plain_md({ch});
  Version scale_v = c.owned_constant(scale.data(), vec_md, vec_md);
  Version shift_v = c.owned_constant(shift.data(), vec_md, vec_md);
  Version src = c.as(x, plain_md(x->shape), step);
  using flags = dnnl::normalization_flags;
  dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, src.md, n.attr_float("epsilon", 1e-5f),
                                            flags::use_scale | flags::use_shift);
  dnnl::layer_normalization_forward::primitive_desc pd(d, Compiler::base_attr(), c.engine());
  bool dst_is_slot = c.is_external(y);
  Version dst = !dst_is_slot && c.can_overwrite(src, step, {}) ? c.alias_output(y, src, step) : c.output(y, src.md, step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCALE, scale_v}, {DNNL_ARG_SHIFT, shift_v}};
  // forward_inference without use_global_stats computes mean/variance into (scratch) memories.
  args.emplace_back(DNNL_ARG_MEAN, c.temporary(pd.mean_desc(), step));
  args.emplace_back(DNNL_ARG_VARIANCE, c.temporary(pd.variance_desc(), step));
  c.add_primitive(dnnl::layer_normalization_forward(pd), pd, args, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
