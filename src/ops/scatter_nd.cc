// ScatterND: output = copy of data, then for each index tuple in `indices` [..., q] the slice
// data[idx] is replaced by (reduction="none"), or combined with ("add", "mul"; opset 16; "max"/"min",
// opset 18) the matching slice of `updates`. Negative indices count from the end (opset 13+ wording).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__ScatterND.html (opsets 11, 13, 16, 18).
#include <algorithm>
#include <cstring>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& ds = in[0].shape();
  const Shape& is = in[1].shape();
  std::string red = node.attr_string("reduction", "none");
  if (in[0].bytes() > 0) std::memcpy(out[0].raw(), in[0].raw(), in[0].bytes());
  auto q = static_cast<size_t>(is.back());
  int64_t n_idx = dims_product(is, 0, is.size() - 1);
  int64_t slice = dims_product(ds, q, ds.size());
  const int64_t* idx = in[1].data<int64_t>();
  for (int64_t i = 0; i < in[1].numel(); ++i) {
    int64_t dim = ds[static_cast<size_t>(i) % q];
    if (idx[i] < -dim || idx[i] >= dim)
      return error("index {} out of range for a dim of size {}", idx[i], dim);
  }
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* u = in[2].data<T>();
    T* y = out[0].data<T>();
    for (int64_t i = 0; i < n_idx; ++i) {
      int64_t at = 0;
      for (size_t d = 0; d < q; ++d) {
        int64_t k = idx[i * static_cast<int64_t>(q) + d];
        if (k < 0) k += ds[d];
        at = at * ds[d] + k;
      }
      T* dst = y + at * slice;
      const T* src = u + i * slice;
      for (int64_t j = 0; j < slice; ++j) {
        if (red == "add")
          dst[j] = static_cast<T>(dst[j] + src[j]);
        else if (red == "mul")
          dst[j] = static_cast<T>(dst[j] * src[j]);
        else if (red == "max")
          dst[j] = std::max(dst[j], src[j]);
        else if (red == "min")
          dst[j] = std::min(dst[j], src[j]);
        else
          dst[j] = src[j];
      }
    }
  });
}

Status infer(Node& node) {
  const Value* data = node.inputs[0];
  const Value* indices = node.inputs[1];
  const Value* updates = node.inputs[2];
  INR_TRY(expect_dtype(data, {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI32, DType::kI64},
                       "data"));
  INR_TRY(expect_dtype(indices, {DType::kI64}, "indices"));
  if (updates->dtype != data->dtype)
    return error("updates '{}' has dtype {}, expected data's {}", updates->name, dtype_name(updates->dtype),
                 dtype_name(data->dtype));
  std::string red = node.attr_string("reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" && red != "min")
    return error("reduction '{}' is not none, add, mul, max or min", red);
  const Shape& ds = data->shape;
  const Shape& is = indices->shape;
  if (ds.empty() || is.empty()) return error("data and indices must have rank >= 1");
  int64_t q = is.back();
  if (q < 1 || q > static_cast<int64_t>(ds.size()))
    return error("indices' last dim {} is outside [1, {}]", q, ds.size());
  Shape expect(is.begin(), is.end() - 1);
  expect.insert(expect.end(), ds.begin() + q, ds.end());
  if (updates->shape != expect)
    return error("updates has shape {}, expected {}", shape_str(updates->shape), shape_str(expect));
  if (indices->is_constant()) {
    const Tensor& t = indices->constant;
    for (int64_t i = 0; i < t.numel(); ++i) {
      int64_t dim = ds[static_cast<size_t>(i % q)], k = t.data<int64_t>()[i];
      if (k < -dim || k >= dim) return error("index {} out of range for a dim of size {}", k, dim);
    }
  }
  set_output(node, 0, data->dtype, ds);
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_scatter_nd() {
  static const OpSchema s{Op::kScatterND, 3, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
