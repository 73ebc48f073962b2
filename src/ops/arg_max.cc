// ArgMax: the index of the largest element along `axis` (default 0), keepdims default 1; ties give the
// first index, or the last with select_last_index=1. Output int64.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__ArgMax.html (opsets 1, 11, 12, 13).
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  auto a = static_cast<size_t>(axis);
  int64_t outer = dims_product(s, 0, a), len = s[a], inner = dims_product(s, a + 1, s.size());
  bool last = node.attr_int("select_last_index", 0) != 0;
  int64_t* y = out[0].data<int64_t>();
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = x + o * len * inner + i;
        int64_t best = 0;
        for (int64_t j = 1; j < len; ++j)
          if (p[j * inner] > p[best * inner] || (last && p[j * inner] == p[best * inner])) best = j;
        y[o * inner + i] = best;
      }
  });
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(
      expect_dtype(x, {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI32, DType::kI64}, "input"));
  auto rank = static_cast<int64_t>(x->shape.size());
  if (rank == 0) return error("input '{}' is a scalar", x->name);
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", 0), rank));
  if (x->shape[static_cast<size_t>(axis)] == 0) return error("axis {} is empty", axis);
  Shape out = x->shape;
  if (node.attr_int("keepdims", 1) != 0) {
    out[static_cast<size_t>(axis)] = 1;
  } else {
    out.erase(out.begin() + axis);
  }
  set_output(node, 0, DType::kI64, std::move(out));
  return Status::ok();
}
}  // namespace

const OpSchema& schema_arg_max() {
  static const OpSchema s{Op::kArgMax, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
