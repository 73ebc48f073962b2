// Fusion of Conv epilogues into the internal FusedConv op (inputs X, W, [B], [Z]):
//   Conv -> Add(other) [-> Relu]      => FusedConv(Z = other, activation Relu|"")   (ResNet residuals)
//   Conv -> activation                 => FusedConv(activation)
// Activations: Relu, Clip (constant bounds), LeakyRelu, HardSigmoid, HardSwish, Sigmoid.
// A fused value must have exactly one consumer and not be a graph output, so nothing else can observe
// the intermediate. Backends without a fused kernel run FusedConv on the reference kernel.
#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>

#include "core/log.h"
#include "ops/op_util.h"
#include "passes/passes.h"

namespace inr {

namespace {

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

bool single_private_use(const Graph& g, const Value* v) {
  return v->consumers.size() == 1 && !is_graph_output(g, v);
}

// Activation name and parameters if `n` is a fusable activation on f32.
bool activation_of(const Node& n, std::string* name, std::vector<float>* params) {
  params->clear();
  switch (n.op) {
    case Op::kRelu: *name = "Relu"; return true;
    case Op::kSigmoid: *name = "Sigmoid"; return true;
    case Op::kHardSwish: *name = "HardSwish"; return true;
    case Op::kLeakyRelu:
      *name = "LeakyRelu";
      *params = {n.attr_float("alpha", 0.01f)};
      return true;
    case Op::kHardSigmoid:
      *name = "HardSigmoid";
      *params = {n.attr_float("alpha", 0.2f), n.attr_float("beta", 0.5f)};
      return true;
    case Op::kClip: {
      float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
      if (n.attr_int("_opset", 13) < 11) {
        lo = n.attr_float("min", lo);
        hi = n.attr_float("max", hi);
      } else {
        for (size_t i = 1; i <= 2; ++i) {
          const Value* v = n.input(i);
          if (!v) continue;
          if (!v->is_constant() || v->dtype != DType::kF32 || v->constant.numel() != 1) return false;
          (i == 1 ? lo : hi) = v->constant.data<float>()[0];
        }
      }
      *name = "Clip";
      *params = {lo, hi};
      return true;
    }
    default:
      return false;
  }
}

Node* make_fused(Graph& g, Node* conv, Value* z, const std::string& act, const std::vector<float>& params,
                 Value* out) {
  std::vector<Value*> ins = {conv->inputs[0], conv->inputs[1], conv->input(2)};
  if (z) ins.push_back(z);
  Node* f = g.add_node(conv->name, "FusedConv", "inr", ins, {out});
  f->attrs = conv->attrs;
  f->attrs["activation"] = Attr::of_string(act);
  f->attrs["activation_params"] = Attr::of_floats(params);
  return f;
}

}  // namespace

Status fuse(Graph& g) {
  g.rebuild_uses();
  std::vector<Node*> convs;
  for (const auto& n : g.nodes())
    if (n->op == Op::kConv && n->outputs[0]->dtype == DType::kF32) convs.push_back(n.get());
  // Position in topological order: the residual operand must be computed before the fused conv.
  std::unordered_map<const Node*, size_t> pos;
  for (size_t i = 0; i < g.nodes().size(); ++i) pos[g.nodes()[i].get()] = i;

  std::map<std::string, int> fused;  // pattern ("Conv+Add+Relu") -> count
  for (Node* conv : convs) {
    Value* y = conv->outputs[0];
    if (!single_private_use(g, y)) continue;
    Node* next = y->consumers[0];
    Value* z = nullptr;
    Value* out = y;
    std::vector<Node*> absorbed;
    if (next->op == Op::kAdd && next->inputs.size() == 2 && next->inputs[0] != next->inputs[1]) {
      Value* other = next->inputs[0] == y ? next->inputs[1] : next->inputs[0];
      bool same_shape = other->shape == y->shape && other->dtype == DType::kF32;
      // If the other operand is itself a conv output computed later, let that conv take the Add instead.
      bool other_later = other->producer && pos[other->producer] > pos[conv];
      if (same_shape && !other_later) {
        z = other;
        out = next->outputs[0];
        absorbed.push_back(next);
        if (single_private_use(g, out)) next = out->consumers[0];
        else next = nullptr;
      } else {
        continue;
      }
    }
    std::string act;
    std::vector<float> params;
    if (next && next->inputs[0] == out && single_private_use(g, out) &&
        activation_of(*next, &act, &params)) {
      absorbed.push_back(next);
      out = next->outputs[0];
    } else if (absorbed.empty()) {
      continue;
    }
    // Detach the absorbed nodes and the conv, then add the fused node producing `out`.
    std::string pattern = "Conv", what = conv->label();
    for (const Node* n : absorbed) pattern += "+" + n->op_type, what += " + " + n->label();
    fused[pattern]++;
    log_debug("fuse: {} -> FusedConv", what);
    Node* fused_conv_source = conv;
    std::string name = conv->name;
    for (Node* n : absorbed) g.remove_node(n);
    Node* f = make_fused(g, fused_conv_source, z, act, params, out);
    g.remove_node(conv);
    f->name = name;
  }
  std::string counts;
  for (const auto& [pattern, count] : fused) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, pattern);
  log_info("pass fuse: {}", counts.empty() ? std::string("nothing fused") : counts + " fused into FusedConv");
  g.remove_dead();
  return g.topo_sort();
}

}  // namespace inr
