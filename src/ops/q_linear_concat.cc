// com.microsoft QLinearConcat: concatenation of quantized tensors requantised to one output scale.
// ONNX Runtime contrib op (docs/ContribOperators.md, "com.microsoft.QLinearConcat"): inputs Y_scale,
// Y_zero_point, then one (X, X_scale, X_zero_point) triple per tensor; attribute axis; u8 or s8.
// Each input element goes through a 256-entry table built as ONNX Runtime builds it (qlinear_lookup_table.cc):
// t[q] = saturate(round_half_even(x_scale * float(q - x_zp) / y_scale) + y_zp), the dequantised value
// re-quantised with a float32 division. Inputs already in the output's scale and zero point map to themselves.
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
constexpr size_t kFirstInput = 2;
constexpr size_t kInputArity = 3;

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  Tensor& y = out[0];
  int64_t rank = y.rank();
  INR_ASSIGN_OR_RETURN(int64_t axis, existing_axis(node.attr_int("axis", 0), rank));
  int64_t outer = dims_product(y.shape(), 0, static_cast<size_t>(axis));
  int64_t inner = dims_product(y.shape(), static_cast<size_t>(axis) + 1, static_cast<size_t>(rank));
  float y_scale = load_scale(in[0], 0);
  int32_t y_zp = load_qint(in[1], 0);
  QRange r = qrange(y.dtype());
  int64_t out_axis_offset = 0;
  for (size_t t = kFirstInput; t + kInputArity - 1 < in.size(); t += kInputArity) {
    const Tensor& x = in[t];
    float x_scale = load_scale(in[t + 1], 0);
    int32_t x_zp = load_qint(in[t + 2], 0);
    int32_t table[256];
    for (int q = 0; q < 256; ++q) {
      int32_t v = y.dtype() == DType::kI8 ? q - 128 : q;
      table[q] = quantize_value(x_scale * static_cast<float>(v - x_zp) / y_scale, y_zp, r);
    }
    int64_t len = x.dim(axis);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < len * inner; ++i) {
        int32_t v = load_qint(x, o * len * inner + i);
        int idx = y.dtype() == DType::kI8 ? v + 128 : v;
        store_qint(y, (o * y.dim(axis) + out_axis_offset) * inner + i, table[idx]);
      }
    out_axis_offset += len;
  }
  return Status::ok();
}

Status infer(Node& node) {
  if (node.inputs.size() < kFirstInput + kInputArity || (node.inputs.size() - kFirstInput) % kInputArity != 0)
    return error("{} inputs, expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples", node.inputs.size());
  for (const Value* v : node.inputs)
    if (v == nullptr) return error("every input is required");
  const Value* yz = node.inputs[1];
  INR_TRY(expect_dtype(yz, {DType::kU8, DType::kI8}, "Y_zero_point"));
  INR_TRY(expect_scale_dtype(node.inputs[0], "Y_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[0], 0, "Y_scale"));
  INR_TRY(expect_qparam_shape(yz, 0, "Y_zero_point"));
  const Value* first = node.inputs[kFirstInput];
  int64_t rank = static_cast<int64_t>(first->shape.size());
  INR_ASSIGN_OR_RETURN(int64_t axis, existing_axis(node.attr_int("axis", 0), rank));
  Shape out = first->shape;
  out[static_cast<size_t>(axis)] = 0;
  for (size_t t = kFirstInput; t < node.inputs.size(); t += kInputArity) {
    const Value* x = node.inputs[t];
    INR_TRY(expect_dtype(x, {yz->dtype}, "input X"));
    INR_TRY(expect_scale_dtype(node.inputs[t + 1], "X_scale"));
    INR_TRY(expect_qparam_shape(node.inputs[t + 1], 0, "X_scale"));
    INR_TRY(expect_zp_dtype(node.inputs[t + 2], yz->dtype, "X_zero_point"));
    INR_TRY(expect_qparam_shape(node.inputs[t + 2], 0, "X_zero_point"));
    if (static_cast<int64_t>(x->shape.size()) != rank) return error("input '{}' rank differs", x->name);
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && x->shape[static_cast<size_t>(d)] != first->shape[static_cast<size_t>(d)])
        return error("input '{}' shape {} differs from {} outside axis {}", x->name, shape_str(x->shape),
                     shape_str(first->shape), axis);
    out[static_cast<size_t>(axis)] += x->shape[static_cast<size_t>(axis)];
  }
  set_output(node, 0, yz->dtype, std::move(out));
  return Status::ok();
}
}  // namespace

const OpSchema& schema_q_linear_concat() {
  static const OpSchema s{Op::kQLinearConcat, 5, -1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
