// Which nodes the oneDNN backend takes. Anything refused here runs on the reference backend, so the rule
// is: accept only what the lowering expresses exactly (fp32, concrete shapes, constant weights; the int8
// QLinearConv under the conditions of qlinear_conv_supported in onednn_lower_qconv.cc).
#include "backends/onednn/onednn_compiler.h"
#include "ops/quant_util.h"

namespace inr::onednn {

namespace {

bool is_f32(const Value* v) { return v != nullptr && v->dtype == DType::kF32 && v->shape_known(); }

bool is_const_f32(const Value* v) { return is_f32(v) && v->is_constant() && v->constant.dtype() == DType::kF32; }

// Every present input and output is f32 with a concrete, non-empty shape of rank 1..6.
bool all_f32(const Node& n) {
  auto ok = [](const Value* v) {
    return is_f32(v) && !v->shape.empty() && v->shape.size() <= 6 && shape_numel(v->shape) > 0;
  };
  for (const Value* v : n.inputs)
    if (v && !ok(v)) return false;
  for (const Value* v : n.outputs)
    if (!v || !ok(v)) return false;
  return !n.inputs.empty() && n.inputs[0] != nullptr && n.outputs.size() == 1;
}

bool supports_conv(const Node& n) {
  const Value* x = n.input(0);
  const Value* w = n.input(1);
  const Value* b = n.input(2);
  const Value* z = n.op == Op::kFusedConv ? n.input(3) : nullptr;
  const Value* y = n.outputs[0];
  if (x->shape.size() != 4 || !is_const_f32(w) || w->shape.size() != 4) return false;
  if (b && (!is_const_f32(b) || b->shape != Shape{w->shape[0]})) return false;
  if (z && z->shape != y->shape) return false;
  int64_t group = n.attr_int("group", 1);
  if (group < 1 || x->shape[1] != w->shape[1] * group || w->shape[0] % group != 0) return false;
  if (n.op == Op::kFusedConv && n.inputs.size() > 4) return false;
  if (!window_geometry(n, x->shape, {w->shape[2], w->shape[3]}, false).is_ok()) return false;
  dnnl::post_ops ops;
  return append_activation(ops, n.attr_string("activation", ""), n.attr_floats("activation_params")).is_ok();
}

bool supports_binary(const Node& n) {
  if (n.inputs.size() != 2) return false;
  const Shape& out = n.outputs[0]->shape;
  const Value* a = n.inputs[0];
  const Value* b = n.inputs[1];
  bool commutative = n.op == Op::kAdd || n.op == Op::kMul;
  if (a->shape != out) {
    if (!commutative || b->shape != out) return false;
    std::swap(a, b);
  }
  // src1 broadcasts into src0 (numpy rules, src0 has the output's shape).
  if (b->shape.size() > out.size()) return false;
  size_t off = out.size() - b->shape.size();
  for (size_t i = 0; i < b->shape.size(); ++i)
    if (b->shape[i] != out[off + i] && b->shape[i] != 1) return false;
  return true;
}

bool supports_matmul(const Node& n) {
  const Value* a = n.inputs[0];
  const Value* b = n.input(1);
  if (a->shape.size() != 2 || !is_const_f32(b) || b->shape.size() != 2) return false;
  if (n.op == Op::kMatMul) return n.inputs.size() == 2 && a->shape[1] == b->shape[0];
  if (n.attr_int("transA", 0) != 0) return false;
  bool trans_b = n.attr_int("transB", 0) != 0;
  int64_t k = trans_b ? b->shape[1] : b->shape[0];
  int64_t cols = trans_b ? b->shape[0] : b->shape[1];
  if (a->shape[1] != k) return false;
  const Value* c = n.input(2);
  if (c == nullptr) return true;
  // C broadcast over rows only: a scalar, [N] or [1, N].
  if (!is_const_f32(c)) return false;
  int64_t numel = shape_numel(c->shape);
  if (numel == 1) return true;
  return numel == cols && (c->shape.size() == 1 || (c->shape.size() == 2 && c->shape[0] == 1));
}

bool supports_softmax(const Node& n) {
  int64_t rank = static_cast<int64_t>(n.inputs[0]->shape.size());
  int64_t opset = n.attr_int("_opset", 13);
  auto axis = normalize_axis(n.attr_int("axis", opset >= 13 ? -1 : 1), rank);
  if (!axis.is_ok()) return false;
  // Before opset 13 Softmax flattens to 2-D at `axis`; that is one-axis softmax only at the last axis.
  return n.inputs.size() == 1 && (opset >= 13 || *axis == rank - 1);
}

bool supports_batch_norm(const Node& n) {
  const Value* x = n.inputs[0];
  if (n.inputs.size() != 5 || x->shape.size() < 2 || n.attr_int("training_mode", 0) != 0) return false;
  for (size_t i = 1; i < 5; ++i)
    if (!is_const_f32(n.inputs[i]) || n.inputs[i]->shape != Shape{x->shape[1]}) return false;
  return true;
}


// Max pooling is exact in any type, so u8 / s8 in and out (DQ -> MaxPool -> Q of QDQ models, folded by
// fuse_qdq) pool in int8; averages round, and stay f32.
bool pool_types_ok(const Node& n) {
  if (all_f32(n)) return true;
  if (n.op != Op::kMaxPool) return false;  // (GlobalMaxPool is f32-only in the op schema)
  const Value* x = n.inputs.empty() ? nullptr : n.inputs[0];
  const Value* y = n.outputs.size() == 1 ? n.outputs[0] : nullptr;
  return x && y && is_q8(x->dtype) && y->dtype == x->dtype && x->shape.size() == 4 && shape_numel(x->shape) > 0;
}

}  // namespace

bool onednn_supports(const Node& n) {
  switch (n.op) {
    case Op::kConv:
    case Op::kFusedConv:
      return all_f32(n) && supports_conv(n);
    case Op::kGemm:
    case Op::kMatMul:
      return all_f32(n) && supports_matmul(n);
    case Op::kMaxPool:
    case Op::kAveragePool:
      // MaxPool's optional Indices output makes outputs.size() 2: refused by pool_plan.
      if (n.outputs.size() == 2 && n.outputs[1] == nullptr) {
        Node copy = n;
        copy.outputs.resize(1);
        return pool_types_ok(copy) && pool_plan(copy).is_ok();
      }
      return pool_types_ok(n) && pool_plan(n).is_ok();
    case Op::kGlobalAveragePool:
    case Op::kGlobalMaxPool:
      return pool_types_ok(n) && n.inputs[0]->shape.size() == 4;
    case Op::kRelu:
    case Op::kLeakyRelu:
    case Op::kSigmoid:
    case Op::kHardSigmoid:
    case Op::kHardSwish:
      return all_f32(n) && n.inputs.size() == 1;
    case Op::kClip: {
      // Bounds are scalars (checked by eltwise_stages), not tensors like the data: check x and y only.
      const Value* x = n.inputs.empty() ? nullptr : n.inputs[0];
      const Value* y = n.outputs.size() == 1 ? n.outputs[0] : nullptr;
      if (!is_f32(x) || !is_f32(y) || x->shape.empty() || x->shape.size() > 6) return false;
      return eltwise_stages(n).is_ok();
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
      return all_f32(n) && supports_binary(n);
    case Op::kConcat: {
      if (!all_f32(n)) return false;
      for (const Value* v : n.inputs)
        if (v == nullptr || v->shape.size() != n.outputs[0]->shape.size()) return false;
      return normalize_axis(n.attr_int("axis", 0), static_cast<int64_t>(n.outputs[0]->shape.size())).is_ok();
    }
    case Op::kSoftmax:
      return all_f32(n) && supports_softmax(n);
    case Op::kFlatten:
    case Op::kReshape: {
      const Value* x = n.inputs.empty() ? nullptr : n.inputs[0];
      const Value* y = n.outputs.size() == 1 ? n.outputs[0] : nullptr;
      // A view: any dtype the backend has memory for (f32, and u8/s8 between int8 ops).
      bool types = x && y && (is_f32(x) || is_q8(x->dtype)) && y->dtype == x->dtype;
      return types && !x->shape.empty() && !y->shape.empty() && shape_numel(x->shape) > 0 &&
             shape_numel(x->shape) == shape_numel(y->shape);
    }
    case Op::kBatchNormalization:
      return all_f32(n) && supports_batch_norm(n);
    case Op::kQLinearConv:
      return qlinear_conv_supported(n);
    case Op::kQuantizeLinear:
    case Op::kDequantizeLinear:
      return quant_linear_supported(n);
    case Op::kQLinearMatMul:
      return qlinear_matmul_supported(n);
    case Op::kQLinearAdd:
      return qlinear_add_supported(n);
    case Op::kQLinearGlobalAveragePool:
      return qlinear_gap_supported(n);
    case Op::kQGemm:
      return qgemm_supported(n);
    default:
      return false;
  }
}

}  // namespace inr::onednn
