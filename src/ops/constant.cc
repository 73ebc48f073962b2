// Constant: a tensor from exactly one of the attributes value (tensor), value_float, value_floats,
// value_int, value_ints. ONNX spec: https://onnx.ai/onnx/operators/onnx__Constant.html (opsets 1, 9, 11,
// 12, 13); sparse_value and the string forms are out of scope. infer stores the value as the output's
// constant.
#include <cstring>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Result<Tensor> value_of(const Node& node) {
  static constexpr const char* kKnown[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
  static constexpr const char* kUnsupported[] = {"sparse_value", "value_string", "value_strings"};
  for (const char* k : kUnsupported)
    if (node.has_attr(k)) return error("attribute {} is not supported", k);
  int count = 0;
  for (const char* k : kKnown) count += node.has_attr(k);
  if (count != 1) return error("exactly one value attribute expected, found {}", count);
  if (node.has_attr("value")) {
    const Tensor& t = node.attrs.at("value").t;
    if (!t.defined()) return error("attribute value holds no tensor");
    return t;
  }
  if (node.has_attr("value_float")) return Tensor::from_vector(DType::kF32, {}, std::vector<float>{node.attr_float("value_float", 0.f)});
  if (node.has_attr("value_int")) return Tensor::from_vector(DType::kI64, {}, std::vector<int64_t>{node.attr_int("value_int", 0)});
  if (node.has_attr("value_floats")) {
    std::vector<float> v = node.attr_floats("value_floats");
    return Tensor::from_vector(DType::kF32, {static_cast<int64_t>(v.size())}, v);
  }
  std::vector<int64_t> v = node.attr_ints("value_ints");
  return Tensor::from_vector(DType::kI64, {static_cast<int64_t>(v.size())}, v);
}

Status infer(Node& node) {
  INR_ASSIGN_OR_RETURN(Tensor t, value_of(node));
  set_output(node, 0, t.dtype(), t.shape());
  node.outputs[0]->constant = t;
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor>, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(Tensor t, value_of(node));
  if (t.bytes() > 0) std::memcpy(out[0].raw(), t.raw(), t.bytes());
  return Status::ok();
}
}  // namespace

const OpSchema& schema_constant() {
  static const OpSchema s{Op::kConstant, 0, 0, 1, 1, infer, run};
  return s;
}

}  // namespace inr
