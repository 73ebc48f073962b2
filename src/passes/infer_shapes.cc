// Shape inference with constant propagation (and optional full constant folding).
#include <algorithm>
#include <unordered_set>

#include "core/log.h"
#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "passes/passes.h"
#include "passes/quant_qdq.h"

namespace inr {

namespace {
// Results this small are shape arithmetic; propagating them is needed to infer Reshape & co. Any dtype:
// an exporter's pads or sizes may pass through float (Cast -> Div -> Ceil -> Cast) before they reach a
// shape input, and every such step is known once the input shapes are (quantization ops aside).
constexpr int64_t kShapeConstantMaxElements = 64;

bool all_inputs_constant(const Node& n) {
  return std::all_of(n.inputs.begin(), n.inputs.end(), [](const Value* v) { return !v || v->is_constant(); });
}

bool is_shape_arithmetic(const Node& n) {
  // Quantization steps on constants (a bias's DequantizeLinear) are patterns for passes/quant_qdq.h, which
  // must see them before folding.
  if (n.op == Op::kQuantizeLinear || n.op == Op::kDequantizeLinear || n.op == Op::kDynamicQuantizeLinear) return false;
  for (const Value* out : n.outputs)
    if (out && (out->dtype == DType::kUndefined || shape_numel(out->shape) > kShapeConstantMaxElements)) return false;
  return true;
}
// Shapes that come from the model (and from inputs bound at run time) are checked before a plan allocates
// them: a product that wraps or exceeds kMaxTensorBytes is an error naming the value, not "out of memory".
Status check_output_sizes(const Node& n) {
  for (const Value* out : n.outputs) {
    if (!out || !out->has_shape || std::any_of(out->shape.begin(), out->shape.end(), [](int64_t d) { return d < 0; }))
      continue;
    INR_TRY(checked_numel(out->shape, out->dtype, fmt::format("{}: output '{}'", n.label(), out->name)).status());
  }
  return Status::ok();
}
}  // namespace

Status infer_shapes(Graph& graph, bool fold_all) {
  INR_TRY(graph.topo_sort());
  std::vector<Node*> folded;
  std::vector<Node*> order;  // upgrade_legacy_broadcast may add nodes while we walk
  for (const auto& up : graph.nodes()) order.push_back(up.get());
  for (Node* np : order) {
    Node& n = *np;
    INR_ASSIGN_OR_RETURN(Node* inserted, upgrade_legacy_broadcast(graph, n));
    if (inserted) INR_TRY(infer_node(*inserted));
    INR_TRY(infer_node(n));
    INR_TRY(check_output_sizes(n));
    bool all_out_constant = std::all_of(n.outputs.begin(), n.outputs.end(),
                                        [](const Value* v) { return !v || v->is_constant(); });
    if (!all_out_constant && all_inputs_constant(n) && (fold_all || is_shape_arithmetic(n))) {
      std::vector<Tensor> ins;
      for (const Value* v : n.inputs) ins.push_back(v ? v->constant : Tensor());
      INR_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_reference_node(n, ins));
      for (size_t i = 0; i < outs.size(); ++i)
        if (n.outputs[i]) n.outputs[i]->constant = std::move(outs[i]);
      all_out_constant = true;
    }
    if (all_out_constant && fold_all) folded.push_back(&n);
  }
  if (!folded.empty()) {
    for (Node* n : folded) log_debug("constant folding: {} evaluated, its outputs are constants now", n->label());
    log_info("pass constant folding: {} node{} folded", folded.size(), folded.size() == 1 ? "" : "s");
  }
  // Nodes whose outputs are all known need not run; graph outputs that became constant stay as values.
  for (Node* n : folded) graph.remove_node(n);
  graph.remove_dead();
  return graph.topo_sort();
}

Result<std::vector<RuntimeValue>> find_runtime_values(Graph& graph) {
  INR_TRY(graph.topo_sort());
  std::vector<Node*> order;
  for (const auto& up : graph.nodes()) order.push_back(up.get());
  // Outputs of a node that needs runtime values, and everything computed from them: not inferable yet. The
  // walk goes on past them so that independent values are found in the same stage.
  std::unordered_set<const Value*> pending;
  std::vector<RuntimeValue> out;
  for (Node* np : order) {
    Node& n = *np;
    if (std::any_of(n.inputs.begin(), n.inputs.end(), [&](const Value* v) { return v && pending.count(v); })) {
      for (const Value* v : n.outputs) pending.insert(v);
      continue;
    }
    INR_ASSIGN_OR_RETURN(Node* inserted, upgrade_legacy_broadcast(graph, n));
    if (inserted) INR_TRY(infer_node(*inserted));
    Status s = infer_node(n);
    if (!s) {
      size_t before = out.size();
      for (const Value* v : n.inputs) {
        if (!v || v->is_constant() || v->producer == nullptr || !v->shape_known() || v->shape.size() > 1 ||
            (v->dtype != DType::kI64 && v->dtype != DType::kI32) || shape_numel(v->shape) > kRuntimeValueMaxElements)
          continue;
        if (std::none_of(out.begin(), out.end(), [&](const RuntimeValue& r) { return r.name == v->name; }))
          out.push_back({v->name, v->dtype, v->shape});
      }
      if (out.size() == before) return s;
      for (const Value* v : n.outputs) pending.insert(v);
      continue;
    }
    INR_TRY(check_output_sizes(n));
    bool all_out_constant = std::all_of(n.outputs.begin(), n.outputs.end(),
                                        [](const Value* v) { return !v || v->is_constant(); });
    if (!all_out_constant && all_inputs_constant(n) && is_shape_arithmetic(n)) {
      std::vector<Tensor> ins;
      for (const Value* v : n.inputs) ins.push_back(v ? v->constant : Tensor());
      INR_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_reference_node(n, ins));
      for (size_t i = 0; i < outs.size(); ++i)
        if (n.outputs[i]) n.outputs[i]->constant = std::move(outs[i]);
    }
  }
  return out;
}

Status bind_input_shapes(Graph& graph, std::span<const Shape> shapes) {
  if (shapes.size() != graph.inputs.size())
    return error("model has {} inputs, got {}", graph.inputs.size(), shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    Value* v = graph.inputs[i];
    const Shape& s = shapes[i];
    bool ok = !v->has_shape || v->shape.size() == s.size();
    for (size_t d = 0; ok && v->has_shape && d < s.size(); ++d) ok = v->shape[d] < 0 || v->shape[d] == s[d];
    for (int64_t d : s) ok = ok && d >= 0;
    if (!ok) {
      std::string declared = "[";
      for (size_t d = 0; d < v->shape.size(); ++d)
        declared += (d ? "," : "") + (v->shape[d] < 0 ? std::string("N") : std::to_string(v->shape[d]));
      return error("input '{}': shape {} does not match the model's {}", v->name, shape_str(s),
                   v->has_shape ? declared + "]" : "(unknown)");
    }
    INR_TRY(checked_numel(s, v->dtype, fmt::format("input '{}'", v->name)).status());
    v->shape = s;
    v->has_shape = true;
  }
  return Status::ok();
}

Status optimize(Graph& graph, int level) {
  const size_t nodes_before = graph.nodes().size();
  INR_TRY(compute_fp16_in_fp32(graph));
  // QDQ -> integer ops (passes/quant_qdq.h) must see the DequantizeLinear of constant weights before
  // constant folding turns them into float weights.
  if (level >= 1) {
    INR_TRY(infer_shapes(graph, false));
    INR_TRY(fuse_qdq(graph));  // step "qdq-to-integer-ops"
  }
  INR_TRY(infer_shapes(graph, level >= 1));
  if (level >= 1) {
    INR_TRY(canonicalize(graph));
    INR_TRY(infer_shapes(graph, true));
  }
  if (level >= 2) {
    INR_TRY(fuse_transformer(graph));
    INR_TRY(fuse(graph));
    INR_TRY(infer_shapes(graph, true));
  }
  log_info("passes at -O {}: {} nodes -> {}", level, nodes_before, graph.nodes().size());
  return Status::ok();
}

}  // namespace inr
