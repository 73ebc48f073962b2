// Mod: C = A mod B, numpy broadcasting. fmod=0 (integers only): the result takes the divisor's sign
// (Python's %); fmod=1: C's fmod, the dividend's sign (required for floats). Integer division by zero is
// undefined in ONNX; it yields 0 here rather than trapping.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Mod.html (opsets 10, 13).
#include <cmath>
#include <type_traits>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  bool fmod = node.attr_int("fmod", 0) != 0;
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_binary<T>(in[0], in[1], out[0], [fmod](T a, T b) -> T {
      if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(std::fmod(a, b));
      } else {
        if (b == 0) return T{0};
        T r = static_cast<T>(a % b);
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      }
    });
  });
}

Status infer(Node& node) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[1];
  INR_TRY(expect_dtype(
      a,
      {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI16, DType::kU16, DType::kI32, DType::kI64},
      "input A"));
  if (b->dtype != a->dtype)
    return error("input B '{}' has dtype {}, expected A's {}", b->name, dtype_name(b->dtype),
                 dtype_name(a->dtype));
  if (dtype_is_float(a->dtype) && node.attr_int("fmod", 0) == 0)
    return error("fmod must be 1 for float inputs");
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(a->shape, b->shape));
  set_output(node, 0, a->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_mod() {
  static const OpSchema s{Op::kMod, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
