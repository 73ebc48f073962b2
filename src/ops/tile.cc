// Tile: out dim i = input dim i * repeats[i], the input repeated along every axis.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Tile.html (opsets 6, 13). `repeats` must be known at plan
// time (an initializer or computed from shapes).
#include <cstring>

#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  const Shape& os = out[0].shape();
  size_t rank = s.size(), elem = dtype_size(in[0].dtype());
  int64_t n = out[0].numel();
  if (n == 0) return Status::ok();
  std::vector<int64_t> stride(rank);
  int64_t st = 1;
  for (size_t d = rank; d-- > 0;) {
    stride[d] = st;
    st *= s[d];
  }
  const auto* src = static_cast<const uint8_t*>(in[0].raw());
  auto* dst = static_cast<uint8_t*>(out[0].raw());
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < rank; ++d) at += (idx[d] % s[d]) * stride[d];
    std::memcpy(dst + i * elem, src + at * elem, elem);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < os[d]) break;
      idx[d] = 0;
    }
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "input"));
  INR_TRY(expect_dtype(node.inputs[1], {DType::kI64}, "repeats"));
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, constant_ints(node.inputs[1], "repeats"));
  if (repeats.size() != x->shape.size())
    return error("repeats {} has {} entries, input has rank {}", shape_str(repeats), repeats.size(),
                 x->shape.size());
  Shape out = x->shape;
  for (size_t d = 0; d < out.size(); ++d) {
    if (repeats[d] < 0) return error("repeats {} has a negative entry", shape_str(repeats));
    INR_ASSIGN_OR_RETURN(out[d], checked_mul(out[d], repeats[d], fmt::format("output dim {}", d)));
  }
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_tile() {
  static const OpSchema s{Op::kTile, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
