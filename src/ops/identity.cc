// Identity: y = x, any tensor dtype. ONNX spec: https://onnx.ai/onnx/operators/onnx__Identity.html
// (opsets 1, 13, 14, 16; sequence and optional inputs are out of scope).
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "input"));
  set_output(node, 0, x->dtype, x->shape);
  return fold_int_constants(node, copy_input0);
}
}  // namespace

const OpSchema& schema_identity() {
  static const OpSchema s{Op::kIdentity, 1, 1, 1, 1, infer, copy_input0};
  return s;
}

}  // namespace inr
