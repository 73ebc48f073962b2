// Canonical rewrites that every backend benefits from:
//  - Identity, inference-mode Dropout and a Cast to its input's own dtype forward their input.
//  - BatchNormalization after a Conv with constant weights is folded into the Conv:
//      s = gamma / sqrt(var + eps);  W' = W * s (per output channel);  B' = (B - mean) * s + beta
//    (the standard inference-time folding, e.g. Jacob et al. 2018, section 3.2).
#include <algorithm>
#include <cmath>

#include "core/log.h"
#include "passes/passes.h"

namespace inr {

namespace {

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

// Replaces node's output 0 by its input 0 everywhere (graph outputs included). False when it keeps the node.
bool forward_input(Graph& g, Node* n) {
  Value* in = n->inputs[0];
  Value* out = n->outputs[0];
  if (is_graph_output(g, out) && (is_graph_output(g, in) || std::find(g.inputs.begin(), g.inputs.end(), in) != g.inputs.end())) {
    return false;  // would merge a graph input/output name: keep the node
  }
  log_debug("canonicalize: removed {}", n->label());
  g.replace_all_uses(out, in);
  if (is_graph_output(g, in)) g.rename(in, out->name);  // keep the model's output name
  g.remove_node(n);
  return true;
}

// Folds `bn` into the Conv before it when it can (`folded` says whether it did).
// Drops the tensor of constant `v` when no node reads it and it is neither a graph input nor output.
void release_if_unused(Graph& g, Value* v) {
  if (v == nullptr || !v->is_constant() || is_graph_output(g, v) ||
      std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end())
    return;
  for (const auto& n : g.nodes())
    if (std::find(n->inputs.begin(), n->inputs.end(), v) != n->inputs.end()) return;
  v->constant = Tensor();
}

Status fold_batch_norm(Graph& g, Node* bn, bool& folded) {
  folded = false;
  Value* x = bn->inputs[0];
  Node* conv = x->producer;
  auto keep = [&](const char* why) {
    log_debug("canonicalize: {} kept: {}", bn->label(), why);
    return Status::ok();
  };
  if (conv == nullptr || conv->op != Op::kConv) return keep("its input is not a Conv output");
  if (x->consumers.size() != 1 || is_graph_output(g, x)) return keep("the Conv output is also used elsewhere");
  Value* w = conv->input(1);
  Value* b = conv->input(2);
  if (!w->is_constant() || (b && !b->is_constant()) || w->dtype != DType::kF32)
    return keep("the Conv weights or bias are not constant f32");
  for (size_t i = 1; i < 5; ++i)
    if (!bn->input(i) || !bn->input(i)->is_constant() || bn->input(i)->dtype != DType::kF32)
      return keep("its parameters are not constant f32");
  if (bn->outputs.size() > 1) {
    for (size_t i = 1; i < bn->outputs.size(); ++i)
      if (bn->outputs[i] && !bn->outputs[i]->consumers.empty()) return keep("its training outputs are used");
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
  // The unfolded weights die now rather than at remove_dead(): folding every Conv of a ResNet would otherwise
  // hold all its weights twice (issue #16). A tensor another graph shares (a session's source graph) is only
  // unreferenced here.
  release_if_unused(g, w);
  release_if_unused(g, b);
  // The conv now produces the BN output directly.
  log_debug("canonicalize: folded {} into {}", bn->label(), conv->label());
  folded = true;
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
  int removed = 0, bn_folded = 0, bn_kept = 0;
  for (Node* n : nodes) {
    if (n->op == Op::kIdentity) {
      removed += forward_input(g, n);
    } else if (n->op == Op::kCast && n->inputs[0]->dtype == dtype_from_onnx(static_cast<int>(n->attr_int("to", 0)))) {
      removed += forward_input(g, n);  // a Cast to the dtype it already has
    } else if (n->op == Op::kDropout) {
      bool mask_used = n->outputs.size() > 1 && n->outputs[1] && !n->outputs[1]->consumers.empty();
      if (!mask_used) removed += forward_input(g, n);
    }
  }
  nodes.clear();
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes)
    if (n->op == Op::kBatchNormalization) {
      bool folded = false;
      INR_TRY(fold_batch_norm(g, n, folded));
      (folded ? bn_folded : bn_kept)++;
    }
  log_info("pass canonicalize: {} Identity/Dropout/no-op Cast removed, {} BatchNorm folded into Conv{}", removed,
           bn_folded, bn_kept ? fmt::format(" ({} kept)", bn_kept) : "");
  g.remove_dead();
  return g.topo_sort();
}

}  // namespace inr
