// Range: [start, start + delta, ...) up to (excluding) limit; n = max(ceil((limit - start) / delta), 0).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Range.html (opset 11). The output length depends on the
// values, so start/limit/delta must be known at plan time (initializers or computed from shapes).
#include <algorithm>
#include <cmath>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    T start = in[0].data<T>()[0], delta = in[2].data<T>()[0];
    T* y = out[0].data<T>();
    // Accumulated like the spec's reference loop (start + i * delta would differ in the last float ulp).
    T v = start;
    for (int64_t i = 0, n = out[0].numel(); i < n; ++i, v = static_cast<T>(v + delta)) y[i] = v;
  });
}

Status infer(Node& node) {
  const Value* start = node.inputs[0];
  INR_TRY(expect_dtype(start, {DType::kF32, DType::kF64, DType::kI16, DType::kI32, DType::kI64}, "start"));
  const char* names[] = {"start", "limit", "delta"};
  double v[3];
  for (size_t i = 0; i < 3; ++i) {
    const Value* in = node.inputs[i];
    if (in->dtype != start->dtype)
      return error("{} '{}' has dtype {}, expected start's {}", names[i], in->name, dtype_name(in->dtype),
                   dtype_name(start->dtype));
    INR_TRY(expect_scalar(in, names[i]));
    if (!in->is_constant())
      return error("{} must be a constant (computed from shapes or initializers)", names[i]);
    v[i] = elements_as_double(in->constant)[0];
  }
  if (v[2] == 0) return error("delta is 0");
  double n = std::max(std::ceil((v[1] - v[0]) / v[2]), 0.0);
  // NaN or a count beyond int64 would make the conversion undefined (x86 gives INT64_MIN); far smaller counts
  // are refused by the tensor size limit afterwards.
  if (!(n < 0x1p62)) return error("start {}, limit {}, delta {} give {} elements", v[0], v[1], v[2], n);
  set_output(node, 0, start->dtype, {static_cast<int64_t>(n)});
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_range() {
  static const OpSchema s{Op::kRange, 3, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
