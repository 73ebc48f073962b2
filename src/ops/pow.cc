// Pow: Z = X ^ Y, numpy broadcasting; Z has X's dtype, Y may be any numeric type (opset 12+).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Pow.html (opsets 7, 12, 13, 15). Evaluated in double and
// rounded once; integer bases (shape arithmetic) truncate like numpy's int power.
#include <cmath>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<double> y = elements_as_double(in[1]);
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    T* z = out[0].data<T>();
    for_each_broadcast_n(out[0].shape(), {in[0].shape(), in[1].shape()},
                         [&](int64_t i, const std::vector<int64_t>& at) {
                           z[i] = static_cast<T>(std::pow(static_cast<double>(x[at[0]]), y[at[1]]));
                         });
  });
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  const Value* y = node.inputs[1];
  INR_TRY(expect_dtype(x, {DType::kF32, DType::kF64, DType::kI32, DType::kI64}, "input X"));
  INR_TRY(expect_dtype(
      y,
      {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI16, DType::kU16, DType::kI32, DType::kI64},
      "input Y"));
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(x->shape, y->shape));
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_pow() {
  static const OpSchema s{Op::kPow, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
