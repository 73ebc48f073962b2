// Shared infer for Add, Sub, Mul, Div: both operands of one dtype, numpy broadcasting.
#include "ops/binary_arith.h"

namespace inr {

Status infer_binary_arith(Node& node, RunFn run) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[1];
  INR_TRY(expect_dtype(a, {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI32, DType::kI64}, "input A"));
  if (b->dtype != a->dtype)
    return error("input B '{}' has dtype {}, expected A's {}", b->name, dtype_name(b->dtype), dtype_name(a->dtype));
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(a->shape, b->shape));
  set_output(node, 0, a->dtype, std::move(out));
  return fold_int_constants(node, run);
}

}  // namespace inr
