// node_macs (backends/backend.h): the multiply-accumulates that traces and `inr bench --per-op` report, for
// the float ops and their fused and integer forms (the same shapes give the same MACs).
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "ir/graph.h"

namespace inr {
namespace {

Value* shaped(Graph& g, const std::string& name, DType dtype, Shape shape) {
  Value* v = g.add_value(name);
  v->dtype = dtype;
  v->shape = std::move(shape);
  v->has_shape = true;
  return v;
}

// x [2,8,9,9], grouped conv (2 groups): W [6,4,3,3], y [2,6,7,7]: each of the 2*6*7*7 outputs needs 4*3*3 MACs.
TEST(NodeMacs, ConvFamily) {
  const int64_t expected = 2 * 6 * 7 * 7 * (4 * 3 * 3);
  Graph g;
  Value* x = shaped(g, "x", DType::kF32, {2, 8, 9, 9});
  Value* w = shaped(g, "w", DType::kF32, {6, 4, 3, 3});
  Value* y = shaped(g, "y", DType::kF32, {2, 6, 7, 7});
  Value* s = shaped(g, "s", DType::kF32, {});
  Value* qx = shaped(g, "qx", DType::kU8, {2, 8, 9, 9});
  Value* qw = shaped(g, "qw", DType::kI8, {6, 4, 3, 3});
  Value* qy = shaped(g, "qy", DType::kU8, {2, 6, 7, 7});
  Value* zp = shaped(g, "zp", DType::kU8, {});
  Value* acc = shaped(g, "acc", DType::kI32, {2, 6, 7, 7});
  EXPECT_EQ(node_macs(*g.add_node("c", "Conv", "", {x, w}, {y})), expected);
  EXPECT_EQ(node_macs(*g.add_node("f", "FusedConv", "inr", {x, w}, {y})), expected);
  EXPECT_EQ(node_macs(*g.add_node("q", "QLinearConv", "", {qx, s, zp, qw, s, zp, s, zp}, {qy})), expected);
  EXPECT_EQ(node_macs(*g.add_node("i", "ConvInteger", "", {qx, qw, zp, zp}, {acc})), expected);
}

// A [5,7] x B [7,3] -> [5,3]: 5*3*7 MACs; Gemm with transA reads K from A's first dim.
TEST(NodeMacs, MatMulFamily) {
  const int64_t expected = 5 * 3 * 7;
  Graph g;
  Value* a = shaped(g, "a", DType::kF32, {5, 7});
  Value* at = shaped(g, "at", DType::kF32, {7, 5});
  Value* b = shaped(g, "b", DType::kF32, {7, 3});
  Value* y = shaped(g, "y", DType::kF32, {5, 3});
  Value* s = shaped(g, "s", DType::kF32, {});
  Value* qa = shaped(g, "qa", DType::kU8, {5, 7});
  Value* qb = shaped(g, "qb", DType::kI8, {7, 3});
  Value* qy = shaped(g, "qy", DType::kU8, {5, 3});
  Value* zp = shaped(g, "zp", DType::kU8, {});
  Value* acc = shaped(g, "acc", DType::kI32, {5, 3});
  EXPECT_EQ(node_macs(*g.add_node("m", "MatMul", "", {a, b}, {y})), expected);
  EXPECT_EQ(node_macs(*g.add_node("g", "Gemm", "", {a, b}, {y})), expected);
  Node* gt = g.add_node("gt", "Gemm", "", {at, b}, {y});
  gt->attrs["transA"] = Attr::of_int(1);
  EXPECT_EQ(node_macs(*gt), expected);
  EXPECT_EQ(node_macs(*g.add_node("qm", "QLinearMatMul", "", {qa, s, zp, qb, s, zp, s, zp}, {qy})), expected);
  EXPECT_EQ(node_macs(*g.add_node("im", "MatMulInteger", "", {qa, qb, zp, zp}, {acc})), expected);
  EXPECT_EQ(node_macs(*g.add_node("qg", "QGemm", "com.microsoft", {qa, s, zp, qb, s, zp}, {y})), expected);
  // Ops without MACs, and a conv whose shapes are unknown, give 0.
  EXPECT_EQ(node_macs(*g.add_node("r", "Relu", "", {y}, {y})), 0);
  Value* unknown = g.add_value("unknown");
  EXPECT_EQ(node_macs(*g.add_node("cu", "Conv", "", {unknown, unknown}, {unknown})), 0);
}

}  // namespace
}  // namespace inr
