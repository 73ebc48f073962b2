// Shapes that are computed while the graph runs: from the input's shape through float arithmetic (folded
// per input shape at plan time), from the values of small integer inputs (the plan is specialised to
// them, inr/session.h), and from the input's values (probe plans compute them first). Both backends and opt
// levels 0 and 2.
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

// Slice's starts/ends, Tile's repeats, Expand's shape and Range's limit fed by the caller (int64 inputs of
// rank 1 and a scalar), each value set with its own plan.
TEST_P(RuntimeShapes, SliceTileExpandRangeFromIntegerInputs) {
  const auto& [backend, level] = GetParam();
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {2, 6});
  Value* starts = g->add_input("starts", DType::kI64, {1});
  Value* ends = g->add_input("ends", DType::kI64, {1});
  Value* repeats = g->add_input("repeats", DType::kI64, {2});
  Value* limit = g->add_input("limit", DType::kI64, {});
  Value* sliced = node(*g, "Slice", {x, starts, ends, g->add_constant("axes", i64({1}))}, "sliced");
  g->outputs.push_back(node(*g, "Tile", {node(*g, "Relu", {sliced}, "relu"), repeats}, "tiled"));
  Value* r = node(*g, "Range", {g->add_constant("zero", Tensor::from_vector<int64_t>(DType::kI64, {}, {0})), limit,
                                g->add_constant("one", Tensor::from_vector<int64_t>(DType::kI64, {}, {1}))}, "range");
  Value* rf = node(*g, "Cast", {r}, "range_f", {{"to", Attr::of_int(1)}});
  g->outputs.push_back(node(*g, "Expand", {rf, node(*g, "Concat", {g->add_constant("two", i64({2})),
                                                                    node(*g, "Shape", {rf}, "n")}, "eshape",
                                                        {{"axis", Attr::of_int(0)}})}, "expanded"));
  SessionOptions o;
  o.backend = backend;
  o.opt_level = level;
  auto s = Session::create(std::move(g), o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  Tensor xv = test::random_f32({2, 6}, 9);
  for (auto [b, e, rep, lim] : {std::tuple{1, 4, 2, 3}, std::tuple{0, 6, 1, 5}, std::tuple{1, 4, 2, 3}}) {
    std::vector<Tensor> inputs = {xv, i64({b}), i64({e}), i64({1, rep}),
                                  Tensor::from_vector<int64_t>(DType::kI64, {}, {static_cast<int64_t>(lim)})};
    auto out = (*s)->run(inputs);
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    const int64_t w = e - b;
    ASSERT_EQ((*out)[0].shape(), (Shape{2, w * rep}));
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < w * rep; ++j)
        ASSERT_EQ((*out)[0].data<float>()[i * w * rep + j], std::max(0.f, xv.data<float>()[i * 6 + b + j % w]));
    ASSERT_EQ((*out)[1].shape(), (Shape{2, lim}));
    for (int64_t k = 0; k < 2 * lim; ++k) ASSERT_EQ((*out)[1].data<float>()[k], static_cast<float>(k % lim));
  }
}

// Pads and a Slice's end computed from the input's values (issue #12 item 3): c = int(clip(max(x), 0, 3)),
// y = Pad(x, [0, 0, 0, c, 0, 0, 0, c]) (W grows by 2c), z = Slice(y, ends = [c + 1] on H). The Slice's end is
// known only once c is, and its input's shape only then too: two probe stages, then a plan per value of c.
// run and run_into, a repeated value (its plans cached), and output_shapes, which cannot know c.
TEST_P(RuntimeShapes, PadsAndSliceFromTheData) {
  const auto& [backend, level] = GetParam();
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {1, 2, 4, 4});
  Value* m = node(*g, "ReduceMax", {x}, "max", {{"keepdims", Attr::of_int(0)}});
  Value* clipped = node(*g, "Clip", {m, g->add_constant("lo", Tensor::from_vector<float>(DType::kF32, {}, {0.f})),
                                     g->add_constant("hi", Tensor::from_vector<float>(DType::kF32, {}, {3.f}))}, "clip");
  Value* c = node(*g, "Unsqueeze", {node(*g, "Cast", {clipped}, "c", {{"to", Attr::of_int(7)}}),
                                    g->add_constant("axis0", i64({0}))}, "c1");
  Value* zeros = g->add_constant("zeros3", i64({0, 0, 0}));
  Value* pads = node(*g, "Concat", {zeros, c, zeros, c}, "pads", {{"axis", Attr::of_int(0)}});
  Value* y = node(*g, "Pad", {x, pads}, "y");
  Value* end = node(*g, "Add", {c, g->add_constant("one1", i64({1}))}, "end");
  g->outputs.push_back(node(*g, "Slice", {y, g->add_constant("start0", i64({0})), end, g->add_constant("axis2", i64({2}))}, "z"));
  SessionOptions o;
  o.backend = backend;
  o.opt_level = level;
  auto s = Session::create(std::move(g), o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  const Shape in_shape{1, 2, 4, 4};
  auto shapes = (*s)->output_shapes(std::span<const Shape>(&in_shape, 1));
  ASSERT_FALSE(shapes.is_ok());
  EXPECT_NE(shapes.status().message().find("'pads' (computed from the data at run time)"), std::string::npos)
      << shapes.status().message();
  for (float scale : {0.5f, 2.5f, 10.f, 0.5f}) {  // c = 0, 2, 3 (clipped), 0 again
    Tensor xv = test::random_f32(in_shape, 7, -scale, scale);
    float mx = *std::max_element(xv.data<float>(), xv.data<float>() + xv.numel());
    const int64_t cv = static_cast<int64_t>(std::clamp(mx, 0.f, 3.f));
    const Shape want{1, 2, cv + 1, 4 + 2 * cv};
    auto out = (*s)->run(std::span<const Tensor>(&xv, 1));
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    ASSERT_EQ((*out)[0].shape(), want) << "scale " << scale;
    for (int64_t ch = 0; ch < 2; ++ch)
      for (int64_t h = 0; h <= cv; ++h)
        for (int64_t w = 0; w < want[3]; ++w) {
          const int64_t sw = w - cv;
          const float expect = h < 4 && sw >= 0 && sw < 4 ? xv.data<float>()[(ch * 4 + h) * 4 + sw] : 0.f;
          ASSERT_EQ((*out)[0].data<float>()[(ch * want[2] + h) * want[3] + w], expect) << ch << " " << h << " " << w;
        }
    std::vector<Tensor> again = {Tensor::empty(DType::kF32, want)};
    ASSERT_TRUE((*s)->run_into(std::span<const Tensor>(&xv, 1), again).is_ok());
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
