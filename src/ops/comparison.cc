// Shared infer for Equal, Less, Greater.
#include "ops/comparison.h"

namespace inr {

Status infer_comparison(Node& node, RunFn run, bool allow_bool) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[1];
  if (!(allow_bool && a->dtype == DType::kBool))
    INR_TRY(expect_dtype(a,
                         {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI16, DType::kU16,
                          DType::kI32, DType::kI64},
                         "input A"));
  if (b->dtype != a->dtype)
    return error("input B '{}' has dtype {}, expected A's {}", b->name, dtype_name(b->dtype),
                 dtype_name(a->dtype));
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(a->shape, b->shape));
  set_output(node, 0, DType::kBool, std::move(out));
  return fold_int_constants(node, run);
}

}  // namespace inr
