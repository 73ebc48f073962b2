// The legacy broadcast of ai.onnx opsets 1..6 (Add, Sub, Mul, Div, Pow, And, Or, Xor, Equal, Greater, Less;
// https://github.com/onnx/onnx/blob/main/docs/Changelog.md, e.g. Add-6): with broadcast = 1, B's dims are
// matched against A's starting at `axis` (default: A's trailing dims), so B = [C] with axis = 1 is
// broadcast over A = [N, C, H, W] as [C, 1, 1]. Numpy broadcasting (opset 7) aligns trailing dims instead,
// so the same B needs trailing 1s: this rewrite reshapes B to that shape once A's rank is known (a constant
// B is reshaped in place of a node; any other B gets a Reshape) and drops the attributes. With
// broadcast = 0 the shapes must be equal, which numpy broadcasting also accepts.
#include "ops/op_util.h"
#include "passes/passes.h"

namespace inr {

Result<Node*> upgrade_legacy_broadcast(Graph& graph, Node& node) {
  if (!legacy_broadcast_pending(node)) return nullptr;
  const bool broadcast = node.attr_int("broadcast", 0) != 0;
  const bool has_axis = node.has_attr("axis");
  const int64_t axis_attr = node.attr_int("axis", 0);
  node.attrs.erase("broadcast");
  node.attrs.erase("axis");
  if (!broadcast || node.inputs.size() != 2 || !node.inputs[0] || !node.inputs[1]) return nullptr;
  Value* a = node.inputs[0];
  Value* b = node.inputs[1];
  if (!a->shape_known() || !b->shape_known())
    return error("{}: legacy broadcast needs the shapes of A and B", node.label());
  const int64_t rank_a = static_cast<int64_t>(a->shape.size()), rank_b = static_cast<int64_t>(b->shape.size());
  const int64_t axis = has_axis ? (axis_attr < 0 ? axis_attr + rank_a : axis_attr) : rank_a - rank_b;
  if (axis < 0 || axis + rank_b > rank_a)
    return error("{}: legacy broadcast of B {} over A {} at axis {}: B does not fit", node.label(), shape_str(b->shape),
                 shape_str(a->shape), axis_attr);
  const bool one_element = shape_numel(b->shape) == 1;
  for (int64_t i = 0; i < rank_b && !one_element; ++i)
    if (b->shape[i] != a->shape[axis + i] && b->shape[i] != 1)
      return error("{}: legacy broadcast of B {} over A {} at axis {}: dim {} differs", node.label(),
                   shape_str(b->shape), shape_str(a->shape), axis, i);
  Shape padded = b->shape;
  padded.resize(static_cast<size_t>(rank_a - axis), 1);
  if (padded == b->shape) return nullptr;
  if (b->is_constant()) {
    node.inputs[1] = graph.add_constant(b->name + "_legacy_broadcast", b->constant.reshaped(padded));
    graph.rebuild_uses();
    return nullptr;
  }
  Value* shape = graph.add_constant(b->name + "_legacy_broadcast_shape",
                                    Tensor::from_vector(DType::kI64, {static_cast<int64_t>(padded.size())}, padded));
  Value* out = graph.add_value_unique(b->name + "_legacy_broadcast");
  Node* reshape = graph.add_node(node.name + "_legacy_broadcast", "Reshape", "", {b, shape}, {out});
  node.inputs[1] = out;
  graph.rebuild_uses();
  return reshape;
}

}  // namespace inr
