// Transpose: out dim i = in dim perm[i]; perm defaults to the reversed dims.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Transpose.html (opsets 1, 13).
#include <cstring>
#include <numeric>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
std::vector<int64_t> perm_of(const Node& node, size_t rank) {
  std::vector<int64_t> def(rank);
  std::iota(def.rbegin(), def.rend(), 0);
  return node.attr_ints("perm", def);
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  size_t rank = s.size();
  std::vector<int64_t> perm = perm_of(node, rank);
  size_t elem = dtype_size(in[0].dtype());
  // Input strides (elements) reordered into output dim order; walk the output contiguously.
  std::vector<int64_t> in_stride(rank), stride(rank);
  int64_t st = 1;
  for (size_t d = rank; d-- > 0;) {
    in_stride[d] = st;
    st *= s[d];
  }
  for (size_t d = 0; d < rank; ++d) stride[d] = in_stride[perm[d]];
  const Shape& os = out[0].shape();
  const auto* src = static_cast<const uint8_t*>(in[0].raw());
  auto* dst = static_cast<uint8_t*>(out[0].raw());
  std::vector<int64_t> idx(rank, 0);
  int64_t at = 0;
  for (int64_t i = 0, n = in[0].numel(); i < n; ++i) {
    std::memcpy(dst + i * elem, src + at * elem, elem);
    for (size_t d = rank; d-- > 0;) {
      at += stride[d];
      if (++idx[d] < os[d]) break;
      at -= stride[d] * os[d];
      idx[d] = 0;
    }
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "data"));
  size_t rank = x->shape.size();
  std::vector<int64_t> perm = perm_of(node, rank);
  if (perm.size() != rank) return error("perm {} has {} entries, data has rank {}", shape_str(perm), perm.size(), rank);
  std::vector<bool> seen(rank, false);
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= static_cast<int64_t>(rank) || seen[perm[i]])
      return error("perm {} is not a permutation of 0..{}", shape_str(perm), rank - 1);
    seen[perm[i]] = true;
    out[i] = x->shape[perm[i]];
  }
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_transpose() {
  static const OpSchema s{Op::kTranspose, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
