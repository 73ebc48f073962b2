// TopK: the k largest (largest=1, default) or smallest elements along `axis` (default -1) and their int64
// indices; sorted=1 (default) orders them best first. Equal values keep the lower index first (the spec's
// stable order). Opset 1 takes k as an attribute, opset 10+ as a one-element input known at plan time.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__TopK.html (opsets 1, 10, 11). With sorted=0 inr still
// returns them sorted (the spec leaves that order unspecified).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetKInput = 10;

Result<int64_t> k_of(const Node& node) {
  if (node_opset(node) < kOpsetKInput) return node.attr_int("k", 0);
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> k, constant_ints(node.input(1), "K"));
  if (k.size() != 1) return error("K has {} entries, expected 1", k.size());
  return k[0];
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  auto a = static_cast<size_t>(axis);
  int64_t outer = dims_product(s, 0, a), len = s[a], inner = dims_product(s, a + 1, s.size());
  int64_t k = out[0].shape()[a];
  bool largest = node.attr_int("largest", 1) != 0;
  int64_t* yi = out[1].defined() ? out[1].data<int64_t>() : nullptr;
  std::vector<int64_t> order(static_cast<size_t>(len));
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    T* yv = out[0].data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = x + o * len * inner + i;
        std::iota(order.begin(), order.end(), 0);
        // NaN ranks above everything for largest (as numpy's sort puts it last), below for smallest.
        auto better = [&](int64_t u, int64_t v) {
          T a = p[u * inner], b = p[v * inner];
          if constexpr (std::is_floating_point_v<T>) {
            if (std::isnan(a) || std::isnan(b))
              return largest ? (std::isnan(a) && !std::isnan(b)) : (!std::isnan(a) && std::isnan(b));
          }
          return largest ? a > b : a < b;
        };
        std::stable_sort(order.begin(), order.end(), better);
        for (int64_t j = 0; j < k; ++j) {
          int64_t at = o * k * inner + j * inner + i;
          yv[at] = p[order[j] * inner];
          if (yi) yi[at] = order[j];
        }
      }
  });
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI32, DType::kI64},
                       "input X"));
  auto rank = static_cast<int64_t>(x->shape.size());
  if (rank == 0) return error("input '{}' is a scalar", x->name);
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", -1), rank));
  INR_ASSIGN_OR_RETURN(int64_t k, k_of(node));
  int64_t len = x->shape[static_cast<size_t>(axis)];
  if (k < 0 || k > len) return error("K = {} is outside [0, {}] (the size of axis {})", k, len, axis);
  Shape out = x->shape;
  out[static_cast<size_t>(axis)] = k;
  set_output(node, 0, x->dtype, out);
  set_output(node, 1, DType::kI64, out);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_top_k() {
  static const OpSchema s{Op::kTopK, 1, 2, 2, 2, infer, run};
  return s;
}

}  // namespace inr
