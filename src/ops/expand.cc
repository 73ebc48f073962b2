// Expand: broadcasts input to `shape` (numpy rules in both directions: a 1 in `shape` keeps the input's
// dim). ONNX spec: https://onnx.ai/onnx/operators/onnx__Expand.html (opsets 8, 13). `shape` must be known at
// plan time (an initializer or computed from shapes).
#include <cstring>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto* x = static_cast<const uint8_t*>(in[0].raw());
  auto* y = static_cast<uint8_t*>(out[0].raw());
  size_t elem = dtype_size(in[0].dtype());
  for_each_broadcast_n(out[0].shape(), {in[0].shape()}, [&](int64_t i, const std::vector<int64_t>& at) {
    std::memcpy(y + i * elem, x + at[0] * elem, elem);
  });
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "input"));
  INR_TRY(expect_dtype(node.inputs[1], {DType::kI64}, "shape"));
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> shape, constant_ints(node.inputs[1], "shape"));
  for (int64_t d : shape)
    if (d < 0) return error("shape {} has a negative dim", shape_str(shape));
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(x->shape, shape));
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_expand() {
  static const OpSchema s{Op::kExpand, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
