// Split: cuts the input along `axis` (default 0) into pieces of the given sizes: the `split` input (opset
// 13+) or attribute (before 13), else equal parts, one per output (opset 18's num_outputs: ceil-sized
// parts, the last one smaller). ONNX spec: https://onnx.ai/onnx/operators/onnx__Split.html (opsets 1, 2,
// 11, 13, 18). The split sizes must be known at plan time.
#include <cstring>

#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetSplitInput = 13;
constexpr int64_t kOpsetNumOutputs = 18;
constexpr int kMaxOutputs = 1 << 16;

Result<std::vector<int64_t>> sizes(const Node& node, const Shape& x, int64_t axis) {
  std::vector<int64_t> split;
  if (node_opset(node) < kOpsetSplitInput) {
    split = node.attr_ints("split");
  } else if (node.input(1) != nullptr) {
    INR_ASSIGN_OR_RETURN(split, constant_ints(node.input(1), "split"));
  }
  int64_t dim = x[axis];
  auto n_out = static_cast<int64_t>(node.outputs.size());
  if (split.empty()) {
    int64_t parts = n_out;
    if (node_opset(node) >= kOpsetNumOutputs) {
      if (!node.has_attr("num_outputs")) return error("neither split nor num_outputs is given");
      parts = node.attr_int("num_outputs", 0);
      if (parts != n_out) return error("num_outputs {} but {} outputs", parts, n_out);
      int64_t size = (dim + parts - 1) / parts;
      for (int64_t i = 0; i < parts; ++i)
        split.push_back(std::max<int64_t>(0, std::min(size, dim - i * size)));
    } else {
      if (dim % parts != 0)
        return error("axis {} of size {} does not split into {} equal parts", axis, dim, parts);
      split.assign(static_cast<size_t>(parts), dim / parts);
    }
  }
  if (static_cast<int64_t>(split.size()) != n_out)
    return error("split has {} entries for {} outputs", split.size(), n_out);
  int64_t total = 0;
  for (int64_t s : split) {
    if (s < 0) return error("split {} has a negative size", shape_str(split));
    INR_ASSIGN_OR_RETURN(total, checked_add(total, s, fmt::format("split {}", shape_str(split))));
  }
  if (total != dim)
    return error("split {} sums to {}, axis {} has size {}", shape_str(split), total, axis, dim);
  return split;
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> split, sizes(node, s, axis));
  auto a = static_cast<size_t>(axis);
  int64_t outer = dims_product(s, 0, a);
  size_t inner = static_cast<size_t>(dims_product(s, a + 1, s.size())) * dtype_size(in[0].dtype());
  const auto* src = static_cast<const uint8_t*>(in[0].raw());
  size_t row = static_cast<size_t>(s[a]) * inner;
  size_t offset = 0;
  for (size_t k = 0; k < split.size(); ++k) {
    size_t piece = static_cast<size_t>(split[k]) * inner;
    if (out[k].defined() && piece > 0) {
      auto* dst = static_cast<uint8_t*>(out[k].raw());
      for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * piece, src + o * row + offset, piece);
    }
    offset += piece;
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "input"));
  auto rank = static_cast<int64_t>(x->shape.size());
  if (rank == 0) return error("input '{}' is a scalar", x->name);
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", 0), rank));
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> split, sizes(node, x->shape, axis));
  for (size_t k = 0; k < split.size(); ++k) {
    Shape o = x->shape;
    o[static_cast<size_t>(axis)] = split[k];
    set_output(node, k, x->dtype, o);
  }
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_split() {
  static const OpSchema s{Op::kSplit, 1, 2, 1, kMaxOutputs, infer, run};
  return s;
}

}  // namespace inr
