// Reshape: the data with the shape given by the (constant) `shape` input. A 0 copies the input's dim at
// that position (unless allowzero=1, opset 14+, where it means a zero-sized dim); one -1 is inferred.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Reshape.html (opsets 5, 13, 14).
#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "data"));
  INR_TRY(expect_dtype(node.inputs[1], {DType::kI64}, "shape"));
  INR_TRY(expect_rank(node.inputs[1], 1, "shape"));
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> spec, constant_ints(node.inputs[1], "shape"));
  bool allowzero = node.attr_int("allowzero", 0) != 0;
  Shape out(spec.size());
  int64_t infer_at = -1, known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == -1) {
      if (infer_at >= 0) return error("shape {} has more than one -1", shape_str(spec));
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (d == 0 && !allowzero) {
      if (i >= x->shape.size()) return error("shape {}: 0 at position {} but data has rank {}", shape_str(spec), i, x->shape.size());
      d = x->shape[i];
    }
    if (d < 0) return error("shape {} has invalid dim {}", shape_str(spec), d);
    out[i] = d;
    INR_ASSIGN_OR_RETURN(known, checked_mul(known, d, fmt::format("shape {}", shape_str(spec))));
  }
  int64_t numel = shape_numel(x->shape);
  if (infer_at >= 0) {
    if (known == 0 || numel % known != 0)
      return error("cannot reshape {} to {}: -1 cannot be inferred", shape_str(x->shape), shape_str(spec));
    out[infer_at] = numel / known;
  } else if (known != numel) {
    return error("cannot reshape {} ({} elements) to {} ({} elements)", shape_str(x->shape), numel, shape_str(out), known);
  }
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, copy_input0);
}
}  // namespace

const OpSchema& schema_reshape() {
  static const OpSchema s{Op::kReshape, 2, 2, 1, 1, infer, copy_input0};
  return s;
}

}  // namespace inr
