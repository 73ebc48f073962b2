// Canonical rewrites that every backend benefits from:
//  - Identity, inference-mode Dropout and a Cast to its input's own dtype forward their input.
//  - BatchNormalization after a Conv with constant weights is folded into the Conv:
//      s = gamma / sqrt(var + eps);  W' = W * s (per output channel);  B' = (B - mean) * s + beta
//    (the standard inference-time folding, e.g. Jacob et al. 2018, section 3.2).
#include <algorithm>
#include <cmath>

#include "passes/passes.h"

namespace inr {

namespace {

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

// Replaces node's output 0 by its input 0 everywhere (graph outputs included).
void forward_input(Graph& g, Node* n) {
  Value* in = n->inputs[0];
  Value* out = n->outputs[0];
  if (is_graph_output(g, out) && (is_graph_output(g, in) || std::find(g.inputs.begin(), g.inputs.end(), in) != g.inputs.end())) {
    return;  // would merge a graph input/output name: keep the node
  }
  g.replace_all_uses(out, in);
  if (is_graph_output(g, in)) g.rename(in, out->name);  // keep the model's output name
  g.remove_node(n);
}

Status fold_batch_norm(Graph& g, Node* bn) {
  Value* x = bn->inputs[0];
  Node* conv = x->producer;
  if (conv == nullptr || conv->op != Op::kConv || x->consumers.size() != 1 || is_graph_output(g, x)) return Status::ok();
  Value* w = conv->input(1);
  Value* b = conv->input(2);
  if (!w->is_constant() || (b && !b->is_constant()) || w->dtype != DType::kF32) return Status::ok();
  for (size_t i = 1; i < 5; ++i)
    if (!bn->input(i) || !bn->input(i)->is_constant() || bn->input(i)->dtype != DType::kF32) return Status::ok();
  if (bn->outputs.size() > 1) {
    for (size_t i = 1; i < bn->outputs.size(); ++i)
      if (bn->outputs[i] && !bn->outputs[i]->consumers.empty()) return Status::ok();
  }
  const int64_t c_out = w->shape[0];
  const float eps = bn->attr_float("epsilon", 1e-5f);
  const float* gamma = bn->inputs[1]->constant.data<float>();
  const float* beta = bn->inputs[2]->constant.data<float>();
  const float* mean = bn->inputs[3]->constant.data<float>();
  const float* var = bn->inputs[4]->constant.data<float>();
  for (size_t i = 1; i < 5; ++i)
    if (bn->inputs[i]->constant.numel() != c_out) return error("{}: parameter {} has {} values for {} channels", bn->label(), i, bn->inputs[i]->constant.numel(), c_out);
  Tensor w2 = w->constant.clone();
  Tensor b2 = Tensor::zeros(DType::kF32, {c_out});
  const int64_t per = w2.numel() / c_out;
  for (int64_t c = 0; c < c_out; ++c) {
    double s = static_cast<double>(gamma[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
    float* wc = w2.data<float>() + c * per;
    for (int64_t k = 0; k < per; ++k) wc[k] = static_cast<float>(wc[k] * s);
    double bias = b ? b->constant.data<float>()[c] : 0.0;
    b2.data<float>()[c] = static_cast<float>((bias - mean[c]) * s + beta[c]);
  }
  Value* nw = g.add_constant(w->name + "_bnfold", std::move(w2));
  Value* nb = g.add_constant((b ? b->name : conv->name + "_bias") + "_bnfold", std::move(b2));
  std::erase(w->consumers, conv);
  if (b) std::erase(b->consumers, conv);
  conv->inputs.resize(3);
  conv->inputs[1] = nw;
  conv->inputs[2] = nb;
  nw->consumers.push_back(conv);
  nb->consumers.push_back(conv);
  // The conv now produces the BN output directly.
  Value* y = bn->outputs[0];
  g.remove_node(bn);
  g.replace_all_uses(y, x);
  if (is_graph_output(g, x)) g.rename(x, y->name);
  return Status::ok();
}

}  // namespace

Status canonicalize(Graph& g) {
  g.rebuild_uses();
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes) {
    if (n->op == Op::kIdentity) {
      forward_input(g, n);
    } else if (n->op == Op::kCast && n->inputs[0]->dtype == dtype_from_onnx(static_cast<int>(n->attr_int("to", 0)))) {
      forward_input(g, n);  // a Cast to the dtype it already has
    } else if (n->op == Op::kDropout) {
      bool mask_used = n->outputs.size() > 1 && n->outputs[1] && !n->outputs[1]->consumers.empty();
      if (!mask_used) forward_input(g, n);
    }
  }
  nodes.clear();
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes)
    if (n->op == Op::kBatchNormalization) INR_TRY(fold_batch_norm(g, n));
  g.remove_dead();
  return g.topo_sort();
}

}  // namespace inr
