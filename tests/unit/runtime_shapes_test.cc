// Shapes that are computed while the graph runs: from the input's shape through float arithmetic (folded
// per input shape at plan time), and from the values of small integer inputs (the plan is specialised to
// them, inr/session.h). Both backends and opt levels 0 and 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "inr/session.h"
#include "ir/graph.h"
#include "test_util.h"

namespace inr {
namespace {

Value* node(Graph& g, const std::string& op, std::vector<Value*> ins, const std::string& out,
            std::map<std::string, Attr> attrs = {}) {
  Node* n = g.add_node(out + "_node", op, "", std::move(ins), {g.add_value(out)});
  n->attrs = std::move(attrs);
  return n->outputs[0];
}

Tensor i64(std::vector<int64_t> v) { return Tensor::from_vector(DType::kI64, {static_cast<int64_t>(v.size())}, v); }

// pads = [0, 0, 0, 0, 0, 0, floor(H / 4), floor(W / 4)] from Shape(x) through Cast to float, Div, Cast back:
// the exporter idiom that failed with "pads must be a constant" (float steps were not folded).
std::unique_ptr<Graph> pad_by_quarter_graph() {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {1, 2, -1, -1});
  Value* hw = node(*g, "Gather", {node(*g, "Shape", {x}, "shape"), g->add_constant("idx", i64({2, 3}))}, "hw");
  Value* f = node(*g, "Cast", {hw}, "hw_f", {{"to", Attr::of_int(1)}});
  Value* q = node(*g, "Div", {f, g->add_constant("four", Tensor::from_vector<float>(DType::kF32, {}, {4.f}))}, "q");
  Value* qi = node(*g, "Cast", {q}, "q_i", {{"to", Attr::of_int(7)}});
  Value* pads = node(*g, "Concat", {g->add_constant("zeros", i64({0, 0, 0, 0, 0, 0})), qi}, "pads",
                     {{"axis", Attr::of_int(0)}});
  Value* y = node(*g, "Pad", {x, pads}, "y");
  g->outputs.push_back(y);
  return g;
}

class RuntimeShapes : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(RuntimeShapes, PadsComputedFromTheInputShapeThroughFloat) {
  const auto& [backend, level] = GetParam();
  for (int64_t side : {8, 13}) {
    Tensor x = test::random_f32({1, 2, side, side}, 3);
    auto out = test::run_graph(pad_by_quarter_graph(), std::span<const Tensor>(&x, 1), level, backend);
    ASSERT_EQ(out.size(), 1u);
    const int64_t padded = side + side / 4;
    ASSERT_EQ(out[0].shape(), (Shape{1, 2, padded, padded}));
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t h = 0; h < padded; ++h)
        for (int64_t w = 0; w < padded; ++w) {
          float want = h < side && w < side ? x.data<float>()[(c * side + h) * side + w] : 0.f;
          ASSERT_EQ(out[0].data<float>()[(c * padded + h) * padded + w], want) << c << " " << h << " " << w;
        }
  }
}

// Reshape's shape and Pad's pads fed by the caller: one session, runs with different values, each value
// set gets its plan (and a repeated value set reuses it).
TEST_P(RuntimeShapes, ShapeAndPadsFromIntegerInputs) {
  const auto& [backend, level] = GetParam();
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {2, 6});
  Value* shape = g->add_input("shape", DType::kI64, {-1});
  Value* pads = g->add_input("pads", DType::kI64, {4});
  Value* r = node(*g, "Reshape", {x, shape}, "r");
  Value* p = node(*g, "Pad", {node(*g, "Relu", {r}, "relu"), pads}, "y");
  g->outputs.push_back(p);
  SessionOptions o;
  o.backend = backend;
  o.opt_level = level;
  auto s = Session::create(std::move(g), o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  Tensor xv = test::random_f32({2, 6}, 5);
  struct Run {
    std::vector<int64_t> shape, pads;
    Shape want;
  };
  for (const Run& run : {Run{{3, 4}, {0, 1, 0, 0}, {3, 5}}, Run{{4, -1}, {1, 0, 2, 0}, {7, 3}},
                         Run{{3, 4}, {0, 1, 0, 0}, {3, 5}}}) {
    std::vector<Tensor> inputs = {xv, i64(run.shape), i64(run.pads)};
    auto out = (*s)->run(inputs);
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    ASSERT_EQ((*out)[0].shape(), run.want);
    const int64_t rows = run.want[0] - run.pads[0] - run.pads[2], cols = run.want[1] - run.pads[1] - run.pads[3];
    for (int64_t i = 0; i < run.want[0]; ++i)
      for (int64_t j = 0; j < run.want[1]; ++j) {
        const int64_t si = i - run.pads[0], sj = j - run.pads[1];
        const bool inside = si >= 0 && si < rows && sj >= 0 && sj < cols;
        const float want = inside ? std::max(0.f, xv.data<float>()[si * cols + sj]) : 0.f;
        ASSERT_EQ((*out)[0].data<float>()[i * run.want[1] + j], want) << i << " " << j;
      }
    // run_into with the same values reuses the plan and gives the same bytes.
    std::vector<Tensor> again = {Tensor::empty(DType::kF32, run.want)};
    ASSERT_TRUE((*s)->run_into(inputs, again).is_ok());
    EXPECT_EQ(std::memcmp(again[0].raw(), (*out)[0].raw(), again[0].bytes()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(BackendsAndLevels, RuntimeShapes,
                         ::testing::Combine(::testing::Values("onednn", "reference"), ::testing::Values(0, 2)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_O" + std::to_string(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace inr
