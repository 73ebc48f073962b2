#include "backends/backend.h"

#include <algorithm>

#include <fmt/format.h>

namespace inr {

namespace {

// Each output element of a convolution needs (C_in / group) * prod(kernel) MACs: exactly the weight's
// per-output-channel size.
int64_t conv_macs(const Node& node, size_t weight_input) {
  const Value* w = node.input(weight_input);
  const Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!w || !y || !w->has_shape || !y->has_shape || w->shape.empty()) return 0;
  int64_t per_out = shape_numel(w->shape) / std::max<int64_t>(w->shape[0], 1);
  return shape_numel(y->shape) * per_out;
}

// Each output element of A x B needs K MACs, K being A's last dim (its first when transA).
int64_t matmul_macs(const Node& node, size_t a_input, bool trans_a) {
  const Value* a = node.input(a_input);
  const Value* y = node.outputs.empty() ? nullptr : node.outputs[0];
  if (!a || !y || !a->has_shape || !y->has_shape || a->shape.empty()) return 0;
  if (trans_a && a->shape.size() != 2) return 0;
  int64_t k = trans_a ? a->shape[0] : a->shape.back();
  return shape_numel(y->shape) * k;
}

}  // namespace

int64_t node_macs(const Node& node) {
  switch (node.op) {
    case Op::kConv:
    case Op::kFusedConv:
    case Op::kConvInteger:  // x, w, x_zero_point, w_zero_point
      return conv_macs(node, 1);
    case Op::kQLinearConv:  // x, x_scale, x_zero_point, w, ...
      return conv_macs(node, 3);
    case Op::kGemm:
    case Op::kQGemm: {  // Gemm: A, B, C; QGemm: A, a_scale, a_zero_point, B, ... (A is input 0 in both)
      const Value* a = node.input(0);
      if (!a || !a->has_shape || a->shape.size() != 2) return 0;
      return matmul_macs(node, 0, node.attr_int("transA", 0) != 0);
    }
    case Op::kMatMul:
    case Op::kMatMulInteger:  // A, B, a_zero_point, b_zero_point
    case Op::kQLinearMatMul:  // a, a_scale, a_zero_point, b, ...
      return matmul_macs(node, 0, false);
    default:
      return 0;
  }
}

namespace {
std::string describe(const Value* v) {
  if (v == nullptr) return "\"\"";
  return fmt::format("\"{}{}\"", dtype_name(v->dtype), shape_str(v->shape));
}
}  // namespace

std::string node_event_args(const Node& node, std::string_view backend, std::string_view kernel) {
  std::string ins, outs;
  int64_t bytes = 0;
  for (const Value* v : node.inputs) {
    ins += (ins.empty() ? "" : ", ") + describe(v);
    if (v) bytes += static_cast<int64_t>(dtype_bytes(v->dtype, shape_numel(v->shape)));
  }
  for (const Value* v : node.outputs) {
    outs += (outs.empty() ? "" : ", ") + describe(v);
    if (v) bytes += static_cast<int64_t>(dtype_bytes(v->dtype, shape_numel(v->shape)));
  }
  return fmt::format(
      R"({{"node": "{}", "op_type": "{}", "backend": "{}", "kernel": "{}", "inputs": [{}], "outputs": [{}], "bytes": {}, "macs": {}}})",
      node.name, node.op_type, backend, kernel.empty() ? backend : kernel, ins, outs, bytes, node_macs(node));
}

}  // namespace inr
