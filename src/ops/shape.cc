// Shape: the input's shape as a 1-D int64 tensor, sliced to [start, end) (opset 15; negative values count
// from the end, both clamped to [0, rank]). ONNX spec: https://onnx.ai/onnx/operators/onnx__Shape.html
// (opsets 1, 13, 15). The value follows from shapes alone, so infer stores it as the output's constant.
#include <algorithm>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
std::vector<int64_t> sliced_shape(const Node& node, const Shape& s) {
  int64_t rank = static_cast<int64_t>(s.size());
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  int64_t start = clamp(node.attr_int("start", 0));
  int64_t end = clamp(node.attr_int("end", rank));
  if (end < start) end = start;
  return std::vector<int64_t>(s.begin() + start, s.begin() + end);
}

Status infer(Node& node) {
  std::vector<int64_t> dims = sliced_shape(node, node.inputs[0]->shape);
  set_output(node, 0, DType::kI64, {static_cast<int64_t>(dims.size())});
  node.outputs[0]->constant = Tensor::from_vector(DType::kI64, {static_cast<int64_t>(dims.size())}, dims);
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<int64_t> dims = sliced_shape(node, in[0].shape());
  std::copy(dims.begin(), dims.end(), out[0].data<int64_t>());
  return Status::ok();
}
}  // namespace

const OpSchema& schema_shape() {
  static const OpSchema s{Op::kShape, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
