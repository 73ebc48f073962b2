// Which nodes the oneDNN backend takes, and why not the others. Anything refused here runs on the
// reference backend, so the rule is: accept only what the lowering expresses exactly (fp32, concrete
// shapes, constant weights; the int8 ops under the conditions of their *_support functions). A refusal's
// message is logged with the node's placement (`inr run -d 0`), so it says what would have to change.
#include <limits>

#include "backends/onednn/onednn_compiler.h"
#include "ops/quant_util.h"

namespace inr::onednn {

namespace {

bool is_f32(const Value* v) { return v != nullptr && v->dtype == DType::kF32 && v->shape_known(); }

bool is_const_f32(const Value* v) { return is_f32(v) && v->is_constant() && v->constant.dtype() == DType::kF32; }

std::string describe(const Value* v) {
  if (v == nullptr) return "absent";
  return fmt::format("'{}' {}{}", v->name, dtype_name(v->dtype), v->shape_known() ? shape_str(v->shape) : "[?]");
}

// Every present input and output is f32 with a concrete, non-empty shape of rank 1..6.
Status all_f32(const Node& n) {
  auto ok = [](const Value* v) {
    return is_f32(v) && !v->shape.empty() && v->shape.size() <= 6 && shape_numel(v->shape) > 0;
  };
  for (const Value* v : n.inputs)
    if (v && !ok(v)) return error("input {} is not a non-empty f32 tensor of rank 1..6", describe(v));
  for (const Value* v : n.outputs)
    if (!v || !ok(v)) return error("output {} is not a non-empty f32 tensor of rank 1..6", describe(v));
  if (n.inputs.empty() || n.inputs[0] == nullptr) return error("no first input");
  if (n.outputs.size() != 1) return error("{} outputs (one supported)", n.outputs.size());
  return Status::ok();
}

Status supports_conv(const Node& n) {
  const Value* x = n.input(0);
  const Value* w = n.input(1);
  const Value* b = n.input(2);
  const Value* z = n.op == Op::kFusedConv ? n.input(3) : nullptr;
  const Value* y = n.outputs[0];
  if (x->shape.size() != 4) return error("input is {}-D (2-D convolutions only)", x->shape.size());
  if (!is_const_f32(w) || w->shape.size() != 4) return error("weights {} are not a constant 4-D f32 tensor", describe(w));
  if (b && (!is_const_f32(b) || b->shape != Shape{w->shape[0]}))
    return error("bias {} is not a constant f32 vector of the output channels", describe(b));
  if (z && z->shape != y->shape) return error("residual {} does not have the output's shape", describe(z));
  int64_t group = n.attr_int("group", 1);
  if (group < 1 || x->shape[1] != w->shape[1] * group || w->shape[0] % group != 0)
    return error("group {} does not fit {} input channels and weights {}", group, x->shape[1], shape_str(w->shape));
  if (n.op == Op::kFusedConv && n.inputs.size() > 4) return error("{} inputs", n.inputs.size());
  INR_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(n, x->shape, {w->shape[2], w->shape[3]}, false));
  INR_TRY(window_fits_onednn_int(g.in, g.out, g.kernel, g.stride, g.dilation, g.pad_begin, g.pad_end));
  dnnl::post_ops ops;
  return append_activation(ops, n.attr_string("activation", ""), n.attr_floats("activation_params"));
}

}  // namespace

Status window_fits_onednn_int(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                              const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                              const std::vector<int64_t>& dilation, const std::vector<int64_t>& pad_l,
                              const std::vector<int64_t>& pad_r) {
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  auto refuse = [&](std::string_view what, size_t i, int64_t v) {
    return error("{} {} of spatial dim {} exceeds oneDNN 2.6's 32-bit window arithmetic (max {})", what, v, i,
                 kIntMax);
  };
  for (size_t i = 0; i < in.size(); ++i) {
    const std::pair<std::string_view, int64_t> values[] = {{"input size", in[i]}, {"output size", out[i]},
                                                           {"kernel", kernel[i]}, {"stride", stride[i]},
                                                           {"dilation", dilation[i]}, {"begin pad", pad_l[i]},
                                                           {"end pad", pad_r[i]}};
    for (const auto& [what, v] : values)
      if (v < 0 || v > kIntMax) return refuse(what, i, v);
    // Each value fits in 31 bits now, so these int64 sums cannot overflow; oneDNN's int versions must not.
    const int64_t ker_range = 1 + (kernel[i] - 1) * dilation[i];
    if (ker_range > kIntMax) return refuse("dilated kernel extent", i, ker_range);
    if (in[i] + pad_l[i] > kIntMax) return refuse("input plus begin pad", i, in[i] + pad_l[i]);
    if (in[i] - ker_range + pad_l[i] + pad_r[i] > kIntMax)
      return refuse("padded input minus the kernel extent", i, in[i] - ker_range + pad_l[i] + pad_r[i]);
    if (pad_r[i] + stride[i] > kIntMax) return refuse("end pad plus stride", i, pad_r[i] + stride[i]);
  }
  return Status::ok();
}

namespace {

Status supports_binary(const Node& n) {
  if (n.inputs.size() != 2) return error("{} inputs", n.inputs.size());
  const Shape& out = n.outputs[0]->shape;
  const Value* a = n.inputs[0];
  const Value* b = n.inputs[1];
  bool commutative = n.op == Op::kAdd || n.op == Op::kMul;
  if (a->shape != out) {
    if (!commutative || b->shape != out)
      return error("the first input {} is broadcast (only the second may be)", describe(a));
    std::swap(a, b);
  }
  // src1 broadcasts into src0 (numpy rules, src0 has the output's shape).
  bool fits = b->shape.size() <= out.size();
  size_t off = fits ? out.size() - b->shape.size() : 0;
  for (size_t i = 0; fits && i < b->shape.size(); ++i) fits = b->shape[i] == out[off + i] || b->shape[i] == 1;
  if (!fits) return error("{} does not broadcast into {}", describe(b), shape_str(out));
  return Status::ok();
}

Status supports_matmul(const Node& n) {
  const Value* a = n.inputs[0];
  const Value* b = n.input(1);
  if (n.op == Op::kMatMul) {
    // Any rank >= 2 on both sides (numpy batch broadcasting; 1-D operands change the output rank).
    if (n.inputs.size() != 2 || a->shape.size() < 2 || b == nullptr || b->shape.size() < 2)
      return error("operands {} and {} are not both of rank >= 2", describe(a), describe(b));
    if (a->shape.back() != b->shape[b->shape.size() - 2])
      return error("shapes {} x {} do not multiply", shape_str(a->shape), shape_str(b->shape));
    return Status::ok();
  }
  if (a->shape.size() != 2) return error("A is {}-D (2-D only)", a->shape.size());
  if (!is_const_f32(b) || b->shape.size() != 2) return error("B {} is not a constant 2-D f32 tensor", describe(b));
  if (n.attr_int("transA", 0) != 0) return error("transA is set");
  bool trans_b = n.attr_int("transB", 0) != 0;
  int64_t k = trans_b ? b->shape[1] : b->shape[0];
  int64_t cols = trans_b ? b->shape[0] : b->shape[1];
  if (a->shape[1] != k) return error("shapes {} x {} do not multiply", shape_str(a->shape), shape_str(b->shape));
  const Value* c = n.input(2);
  if (c == nullptr) return Status::ok();
  // C broadcast over rows only: a scalar, [N] or [1, N].
  if (!is_const_f32(c)) return error("C {} is not a constant f32 tensor", describe(c));
  int64_t numel = shape_numel(c->shape);
  if (numel == 1 || (numel == cols && (c->shape.size() == 1 || (c->shape.size() == 2 && c->shape[0] == 1))))
    return Status::ok();
  return error("C {} is not a scalar or one row of {} values", describe(c), cols);
}

Status supports_softmax(const Node& n) {
  int64_t rank = static_cast<int64_t>(n.inputs[0]->shape.size());
  int64_t opset = n.attr_int("_opset", 13);
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n.attr_int("axis", opset >= 13 ? -1 : 1), rank));
  if (n.inputs.size() != 1) return error("{} inputs", n.inputs.size());
  // Before opset 13 Softmax flattens to 2-D at `axis`; that is one-axis softmax only at the last axis.
  if (opset < 13 && axis != rank - 1)
    return error("opset {} Softmax flattens at axis {} of {}: a one-axis softmax only at the last axis", opset,
                 axis, rank);
  return Status::ok();
}

Status supports_layer_norm(const Node& n) {
  const Value* x = n.inputs[0];
  int64_t rank = static_cast<int64_t>(x->shape.size());
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n.attr_int("axis", -1), rank));
  if (axis != rank - 1 || rank < 2) return error("normalises from axis {} of {} (the last axis of rank >= 2 only)", axis, rank);
  for (size_t i = 1; i < n.outputs.size(); ++i)
    if (n.outputs[i] != nullptr) return error("the Mean / InvStdDev outputs are requested (Y only)");
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    const Value* p = n.inputs[i];
    if (p != nullptr && (!is_const_f32(p) || (shape_numel(p->shape) != 1 && shape_numel(p->shape) != x->shape.back())))
      return error("parameter {} is not a constant f32 scalar or vector of the last dim", describe(p));
  }
  return Status::ok();
}

Status supports_transpose(const Node& n) {
  const Value* x = n.inputs[0];
  const Value* y = n.outputs[0];
  if (!(is_f32(x) || is_q8(x->dtype)) || x->shape.empty() || x->shape.size() > 6 || shape_numel(x->shape) == 0)
    return error("input {} is not a non-empty f32/u8/s8 tensor of rank 1..6", describe(x));
  if (y == nullptr) return error("no output");
  return Status::ok();
}

Status supports_batch_norm(const Node& n) {
  const Value* x = n.inputs[0];
  if (n.inputs.size() != 5) return error("{} inputs", n.inputs.size());
  if (x->shape.size() < 2) return error("input is {}-D", x->shape.size());
  if (n.attr_int("training_mode", 0) != 0) return error("training_mode is set");
  for (size_t i = 1; i < 5; ++i)
    if (!is_const_f32(n.inputs[i]) || n.inputs[i]->shape != Shape{x->shape[1]})
      return error("parameter {} is not a constant f32 vector of the channels", describe(n.inputs[i]));
  return Status::ok();
}

// Max pooling is exact in any type, so u8 / s8 in and out (DQ -> MaxPool -> Q of QDQ models, folded by
// fuse_qdq) pool in int8; averages round, and stay f32.
Status pool_types_ok(const Node& n) {
  Status f32 = all_f32(n);
  if (f32) return f32;
  if (n.op != Op::kMaxPool) return f32;  // (GlobalMaxPool is f32-only in the op schema)
  const Value* x = n.inputs.empty() ? nullptr : n.inputs[0];
  const Value* y = n.outputs.size() == 1 ? n.outputs[0] : nullptr;
  if (x && y && is_q8(x->dtype) && y->dtype == x->dtype && x->shape.size() == 4 && shape_numel(x->shape) > 0)
    return Status::ok();
  return error("input {} is neither f32 nor a 4-D u8/s8 tensor pooled into its own type", describe(x));
}

Status supports_view(const Node& n) {
  const Value* x = n.inputs.empty() ? nullptr : n.inputs[0];
  const Value* y = n.outputs.size() == 1 ? n.outputs[0] : nullptr;
  // A view: any dtype the backend has memory for (f32, and u8/s8 between int8 ops).
  if (!x || !y || !(is_f32(x) || is_q8(x->dtype)) || y->dtype != x->dtype)
    return error("input {} is not f32/u8/s8 viewed as its own type", describe(x));
  if (x->shape.empty() || y->shape.empty() || shape_numel(x->shape) == 0 ||
      shape_numel(x->shape) != shape_numel(y->shape))
    return error("{} -> {} is not a non-empty view", describe(x), describe(y));
  return Status::ok();
}

Status supports_clip(const Node& n) {
  // Bounds are scalars (checked by eltwise_stages), not tensors like the data: check x and y only.
  const Value* x = n.inputs.empty() ? nullptr : n.inputs[0];
  const Value* y = n.outputs.size() == 1 ? n.outputs[0] : nullptr;
  if (!is_f32(x) || !is_f32(y) || x->shape.empty() || x->shape.size() > 6)
    return error("input {} is not an f32 tensor of rank 1..6", describe(x));
  return eltwise_stages(n).status();
}

Status supports_concat(const Node& n) {
  INR_TRY(all_f32(n));
  for (const Value* v : n.inputs)
    if (v == nullptr || v->shape.size() != n.outputs[0]->shape.size())
      return error("input {} does not have the output's rank", describe(v));
  return normalize_axis(n.attr_int("axis", 0), static_cast<int64_t>(n.outputs[0]->shape.size())).status();
}

// Split of a plain f32 tensor into outputs of the input's rank along one axis (each a copy of a sub-block).
Status supports_split(const Node& n) {
  const Value* x = n.input(0);
  if (x == nullptr || !is_f32(x) || x->shape.empty() || x->shape.size() > 6 || shape_numel(x->shape) == 0)
    return error("input {} is not a non-empty f32 tensor of rank 1..6", describe(x));
  for (const Value* v : n.outputs)
    if (v == nullptr || !is_f32(v) || v->shape.size() != x->shape.size() || shape_numel(v->shape) == 0)
      return error("output {} is not a non-empty f32 tensor of the input's rank", describe(v));
  return normalize_axis(n.attr_int("axis", 0), static_cast<int64_t>(x->shape.size())).status();
}

Status supports_pool(const Node& n) {
  // MaxPool's optional Indices output makes outputs.size() 2: refused by pool_plan.
  if (n.outputs.size() == 2 && n.outputs[1] == nullptr) {
    Node copy = n;
    copy.outputs.resize(1);
    return supports_pool(copy);
  }
  INR_TRY(pool_types_ok(n));
  return pool_plan(n).status();
}

}  // namespace

Status onednn_support(const Node& n) {
  switch (n.op) {
    case Op::kConv:
    case Op::kFusedConv:
      INR_TRY(all_f32(n));
      return supports_conv(n);
    case Op::kGemm:
    case Op::kMatMul:
      INR_TRY(all_f32(n));
      return supports_matmul(n);
    case Op::kMaxPool:
    case Op::kAveragePool:
      return supports_pool(n);
    case Op::kGlobalAveragePool:
    case Op::kGlobalMaxPool:
      INR_TRY(pool_types_ok(n));
      if (n.inputs[0]->shape.size() != 4) return error("input is {}-D (4-D only)", n.inputs[0]->shape.size());
      return pool_plan(n).status();
    case Op::kRelu:
    case Op::kLeakyRelu:
    case Op::kSigmoid:
    case Op::kHardSigmoid:
    case Op::kHardSwish:
    case Op::kGelu:
    case Op::kTanh:
    case Op::kExp:
    case Op::kSqrt:
      INR_TRY(all_f32(n));
      if (n.inputs.size() != 1) return error("{} inputs", n.inputs.size());
      return Status::ok();
    case Op::kClip:
      return supports_clip(n);
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv: {
      // A rank-0 second operand (attention's Mul by 1/sqrt(d)) is a [1] broadcast.
      Node ranked = n;
      Value scalar_as_1d;
      if (n.inputs.size() == 2 && n.inputs[1] && n.inputs[1]->shape.empty() && n.inputs[1]->shape_known()) {
        scalar_as_1d = *n.inputs[1];
        scalar_as_1d.shape = {1};
        ranked.inputs[1] = &scalar_as_1d;
      }
      INR_TRY(all_f32(ranked));
      return supports_binary(ranked);
    }
    case Op::kConcat:
      return supports_concat(n);
    case Op::kSplit:
      return supports_split(n);
    case Op::kSoftmax:
      INR_TRY(all_f32(n));
      return supports_softmax(n);
    case Op::kFlatten:
    case Op::kReshape:
      return supports_view(n);
    case Op::kBatchNormalization:
      INR_TRY(all_f32(n));
      return supports_batch_norm(n);
    case Op::kLayerNormalization: {
      // Only Y is lowered (supports_layer_norm refuses Mean / InvStdDev outputs).
      Node y_only = n;
      y_only.outputs.resize(1);
      INR_TRY(all_f32(y_only));
      return supports_layer_norm(n);
    }
    case Op::kTranspose:
      return supports_transpose(n);
    case Op::kQLinearConv:
      return qlinear_conv_support(n);
    case Op::kQuantizeLinear:
    case Op::kDequantizeLinear:
      return quant_linear_support(n);
    case Op::kQLinearMatMul:
      return qlinear_matmul_support(n);
    case Op::kQLinearAdd:
      return qlinear_add_support(n);
    case Op::kQLinearGlobalAveragePool:
      return qlinear_gap_support(n);
    case Op::kQGemm:
      return qgemm_support(n);
    default:
      return error("no oneDNN lowering for {}", n.op_type);
  }
}

}  // namespace inr::onednn
