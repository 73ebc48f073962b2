// Graph passes. Backend-neutral rules only; every pass leaves the graph topologically sorted and
// with dtypes/shapes filled in.
#pragma once

#include <span>

#include "ir/graph.h"

namespace inr {

// Infers every value's dtype and shape in topological order (graph input shapes must be concrete).
// Always propagates small integer constants (shape arithmetic: Shape -> Gather -> Concat -> Reshape), which
// is part of shape inference rather than an optimisation. With `fold_all`, every node whose inputs are all
// constant is evaluated with its reference kernel and removed (constant folding).
Status infer_shapes(Graph& graph, bool fold_all);

// A value the graph's shapes depend on that only the data decides (issue #12 item 3: a Pad's pads computed
// by ReduceMax -> Cast, a Slice's ends from an ArgMax).
struct RuntimeValue {
  std::string name;
  DType dtype;
  Shape shape;
};
constexpr int64_t kRuntimeValueMaxElements = 64;

// Walks the graph as infer_shapes does (shape arithmetic propagated, nothing removed) and stops at the first
// node whose inference fails. Returns that node's inputs that are neither constant nor graph inputs and are
// small integer tensors (i64/i32, rank <= 1, <= kRuntimeValueMaxElements elements: a shape, pads, starts,
// a limit): once their values are known (by running the graph up to them), the rest can be specialised.
// Empty when every node infers; the node's own error when it fails for another reason. Mutates `graph`
// (pass a clone).
Result<std::vector<RuntimeValue>> find_runtime_values(Graph& graph);

// Opsets 1..6: rewrites the legacy broadcast (`broadcast`/`axis`) of an arithmetic or comparison node
// into numpy broadcasting by reshaping B (onnx/legacy_opsets.h does the rest at import). Needs A's and B's
// shapes, so infer_shapes calls it before inferring each node; returns the Reshape it inserted, if any.
Result<Node*> upgrade_legacy_broadcast(Graph& graph, Node& node);

// Identity / Dropout (inference) removal; BatchNormalization folded into the preceding Conv.
Status canonicalize(Graph& graph);

// Conv [+ Add(residual)] [+ activation] -> FusedConv (internal op). Needs inferred shapes.
Status fuse(Graph& graph);

// Transformer patterns of opset-13 exports: the decomposed LayerNorm (ReduceMean/Sub/Pow/ReduceMean/Add/
// Sqrt/Div[/Mul][/Add]) -> LayerNormalization, the decomposed exact GELU (Div/Erf/Add/Mul/Mul) -> Gelu,
// a linear layer MatMul(x, W) + b (constants) -> Gemm between two Reshape views.
// Needs inferred shapes.
Status fuse_transformer(Graph& graph);

// fp16 graphs run in fp32: f16 initializers widened once, f32<->f16 Casts become Identity, graph I/O
// dtypes kept (one Cast at each f16 boundary). A legalisation that runs at every level.
Status compute_fp16_in_fp32(Graph& graph);

// The pipeline for an optimisation level: 0 = shape inference only; 1 = + constant folding and
// canonicalisation; >= 2 = + fusion (fuse_transformer, then fuse).
Status optimize(Graph& graph, int level);

// Sets graph input shapes (in graph-input order) after checking them against the declared ones
// (rank and every fixed dim must match): "input 'data': shape [1,3,224] does not match [N,3,224,224]".
Status bind_input_shapes(Graph& graph, std::span<const Shape> shapes);

}  // namespace inr
