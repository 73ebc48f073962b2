#include "backends/backend.h"

#include <fmt/format.h>

namespace inr {

int64_t node_macs(const Node& node) {
  switch (node.op) {
    case Op::kConv:
    case Op::kFusedConv: {
      const Value* w = node.input(1);
      const Value* y = node.outputs[0];
      if (!w || !y || !w->has_shape || !y->has_shape) return 0;
      // Each output element needs (C_in / group) * prod(kernel) MACs: exactly W's per-output-channel size.
      int64_t per_out = shape_numel(w->shape) / std::max<int64_t>(w->shape[0], 1);
      return shape_numel(y->shape) * per_out;
    }
    case Op::kGemm: {
      const Value* a = node.input(0);
      if (!a || !a->has_shape || a->shape.size() != 2) return 0;
      int64_t k = node.attr_int("transA", 0) ? a->shape[0] : a->shape[1];
      return shape_numel(node.outputs[0]->shape) * k;
    }
    case Op::kMatMul: {
      const Value* a = node.input(0);
      if (!a || !a->has_shape || a->shape.empty()) return 0;
      return shape_numel(node.outputs[0]->shape) * a->shape.back();
    }
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
