// ConstantOfShape: a tensor of the given shape filled with the one-element tensor attribute `value`
// (default: float 0). ONNX spec: https://onnx.ai/onnx/operators/onnx__ConstantOfShape.html (opsets 9, 20).
// The shape input must be known at plan time (an initializer or computed from shapes).
#include <cstring>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Result<Tensor> fill_value(const Node& node) {
  if (!node.has_attr("value")) return Tensor::from_vector(DType::kF32, {1}, std::vector<float>{0.f});
  const Tensor& t = node.attrs.at("value").t;
  if (!t.defined() || t.numel() != 1) return error("attribute value must hold a one-element tensor");
  if (t.dtype() == DType::kI4 || t.dtype() == DType::kU4)
    return error("value dtype {} is not supported", dtype_name(t.dtype()));
  return t;
}

Status run(const Node& node, std::span<const Tensor>, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(Tensor v, fill_value(node));
  size_t elem = dtype_size(v.dtype());
  auto* y = static_cast<uint8_t*>(out[0].raw());
  for (int64_t i = 0, n = out[0].numel(); i < n; ++i) std::memcpy(y + i * elem, v.raw(), elem);
  return Status::ok();
}

Status infer(Node& node) {
  INR_TRY(expect_dtype(node.inputs[0], {DType::kI64}, "input"));
  if (node.inputs[0]->shape.size() != 1)
    return error("input must be 1-D, got {}", shape_str(node.inputs[0]->shape));
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> shape, constant_ints(node.inputs[0], "input (the shape)"));
  for (int64_t d : shape)
    if (d < 0) return error("shape {} has a negative dim", shape_str(shape));
  INR_ASSIGN_OR_RETURN(Tensor v, fill_value(node));
  set_output(node, 0, v.dtype(), shape);
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_constant_of_shape() {
  static const OpSchema s{Op::kConstantOfShape, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
