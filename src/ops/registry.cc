// Builds the op table from op_list.def: no static-initialiser registry.
#include <fmt/format.h>

#include "ops/op_schema.h"

namespace inr {

#define INR_OP(name, domain, file) const OpSchema& schema_##file();
#include "ir/op_list.def"
#undef INR_OP

const OpSchema* op_schema(Op op) {
  switch (op) {
#define INR_OP(name, domain, file) \
  case Op::k##name:                \
    return &schema_##file();
#include "ir/op_list.def"
#undef INR_OP
    case Op::kUnknown:
      return nullptr;
  }
  return nullptr;
}

Status infer_node(Node& node) {
  const OpSchema* s = op_schema(node.op);
  if (s == nullptr) return error("{}: unsupported op", node.label());
  int n_in = static_cast<int>(node.inputs.size());
  if (n_in < s->min_inputs || (s->max_inputs >= 0 && n_in > s->max_inputs))
    return error("{}: {} inputs, expected {}..{}", node.label(), n_in, s->min_inputs,
                 s->max_inputs < 0 ? std::string("any") : std::to_string(s->max_inputs));
  int n_out = static_cast<int>(node.outputs.size());
  if (n_out < s->min_outputs || n_out > s->max_outputs)
    return error("{}: {} outputs, expected {}..{}", node.label(), n_out, s->min_outputs, s->max_outputs);
  for (int i = 0; i < s->min_inputs && i < n_in; ++i)
    if (node.inputs[i] == nullptr) return error("{}: required input {} is missing", node.label(), i);
  for (Value* in : node.inputs)
    if (in && !in->shape_known())
      return error("{}: input '{}' has no known shape (is the graph input shape fixed?)", node.label(),
                   in->name);
  return s->infer(node).with_context(node.label());
}

Result<std::vector<Tensor>> run_reference_node(const Node& node, std::span<const Tensor> inputs) {
  const OpSchema* s = op_schema(node.op);
  if (s == nullptr) return error("{}: unsupported op", node.label());
  std::vector<Tensor> outputs;
  for (Value* out : node.outputs) {
    if (out == nullptr) {
      outputs.emplace_back();
      continue;
    }
    outputs.push_back(Tensor::empty(out->dtype, out->shape));
  }
  INR_TRY(s->run(node, inputs, outputs).with_context(node.label()));
  return outputs;
}

}  // namespace inr
