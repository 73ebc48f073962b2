// Case tables for the slicing / broadcasting / generator ops of transformer and ShuffleNet exports: Slice,
// Split, Expand, Tile, ConstantOfShape, Range, ScatterND. Independent check: hand-computed outputs on small
// iota inputs (x[i] = i), where every output element names the input element it came from.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "op_case.h"

namespace inr::test {

namespace {
std::vector<double> iota(int64_t n, double start = 0) {
  std::vector<double> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}
CaseInput iota_in(std::string name, Shape s, DType dtype = DType::kF32) {
  return in_values(std::move(name), s, iota(shape_numel(s)), dtype);
}
CaseInput ints(std::string name, std::vector<double> v) {
  auto n = static_cast<int64_t>(v.size());
  return constant(in_values(std::move(name), {n}, std::move(v), DType::kI64));
}
OpCase exact(std::string name, std::string op, std::vector<CaseInput> inputs, std::map<std::string, Attr> attrs,
             std::vector<Tensor> expected, int64_t opset = kDefaultOpset) {
  return OpCase{.name = std::move(name), .op_type = std::move(op), .opset = opset, .attrs = std::move(attrs),
                .inputs = std::move(inputs), .outputs = static_cast<int>(expected.size()), .expected = std::move(expected)};
}
constexpr double kBig = 9.2e18;  // ~INT64_MAX as exporters write "to the end"
}  // namespace

std::vector<OpCase> slice_cases() {
  // x [3, 4]: rows 0..2 of 0..11.
  return {exact("slice_class_token", "Slice", {iota_in("x", {2, 3, 2}), ints("starts", {0}), ints("ends", {1}), ints("axes", {1})}, {},
                {tensor(DType::kF32, {2, 1, 2}, {0, 1, 6, 7})}),
          exact("slice_to_end_and_negative_start", "Slice", {iota_in("x", {3, 4}), ints("starts", {-2, 1}), ints("ends", {kBig, kBig})}, {},
                {tensor(DType::kF32, {2, 3}, {5, 6, 7, 9, 10, 11})}),
          exact("slice_steps_and_negative_axis", "Slice",
                {iota_in("x", {3, 4}), ints("starts", {0}), ints("ends", {4}), ints("axes", {-1}), ints("steps", {2})}, {},
                {tensor(DType::kF32, {3, 2}, {0, 2, 4, 6, 8, 10})}),
          exact("slice_negative_step_reverses", "Slice",
                {iota_in("x", {3, 4}), ints("starts", {-1}), ints("ends", {-kBig}), ints("axes", {0}), ints("steps", {-1})}, {},
                {tensor(DType::kF32, {3, 4}, {8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3})}),
          exact("slice_empty_result", "Slice", {iota_in("x", {3, 4}), ints("starts", {2}), ints("ends", {1}), ints("axes", {1})}, {},
                {tensor(DType::kF32, {3, 0}, {})}),
          exact("slice_i64_shape_vector", "Slice", {iota_in("x", {4}, DType::kI64), ints("starts", {1}), ints("ends", {3})}, {},
                {tensor(DType::kI64, {2}, {1, 2})}),
          // Steps from the file near INT64_MAX / at INT64_MIN (issue #16: e - s + step - 1 wrapped, and -step
          // is undefined for INT64_MIN): one element each, not zero.
          exact("slice_step_near_int64_max_takes_the_first", "Slice",
                {iota_in("x", {2048}), ints("starts", {0}), ints("ends", {2048}), ints("axes", {0}), ints("steps", {0x1p63 - 1024})}, {},
                {tensor(DType::kF32, {1}, {0})}),
          exact("slice_step_int64_min_takes_the_last", "Slice",
                {iota_in("x", {2048}), ints("starts", {-1}), ints("ends", {-kBig}), ints("axes", {0}), ints("steps", {-0x1p63})}, {},
                {tensor(DType::kF32, {1}, {2047})}),
          exact("slice_opset9_attributes", "Slice", {iota_in("x", {3, 4})},
                {{"starts", Attr::of_ints({1})}, {"ends", Attr::of_ints({3})}, {"axes", Attr::of_ints({1})}},
                {tensor(DType::kF32, {3, 2}, {1, 2, 5, 6, 9, 10})}, 9)};
}

std::vector<OpCase> split_cases() {
  return {exact("split_sizes_input_axis1", "Split", {iota_in("x", {2, 5}), ints("split", {2, 3})}, {{"axis", Attr::of_int(1)}},
                {tensor(DType::kF32, {2, 2}, {0, 1, 5, 6}), tensor(DType::kF32, {2, 3}, {2, 3, 4, 7, 8, 9})}),
          exact("split_equal_parts_default_axis", "Split", {iota_in("x", {4, 2})}, {},
                {tensor(DType::kF32, {2, 2}, {0, 1, 2, 3}), tensor(DType::kF32, {2, 2}, {4, 5, 6, 7})}),
          exact("split_opset11_attribute_negative_axis", "Split", {iota_in("x", {2, 3})},
                {{"axis", Attr::of_int(-1)}, {"split", Attr::of_ints({1, 2})}},
                {tensor(DType::kF32, {2, 1}, {0, 3}), tensor(DType::kF32, {2, 2}, {1, 2, 4, 5})}, 11),
          exact("split_opset18_num_outputs_uneven", "Split", {iota_in("x", {5})}, {{"num_outputs", Attr::of_int(2)}},
                {tensor(DType::kF32, {3}, {0, 1, 2}), tensor(DType::kF32, {2}, {3, 4})}, 18)};
}

std::vector<OpCase> expand_cases() {
  return {exact("expand_row_to_matrix", "Expand", {iota_in("x", {3}), ints("shape", {2, 3})}, {},
                {tensor(DType::kF32, {2, 3}, {0, 1, 2, 0, 1, 2})}),
          exact("expand_shape_of_ones_keeps_dims", "Expand", {iota_in("x", {2, 1}), ints("shape", {1, 1, 3})}, {},
                {tensor(DType::kF32, {1, 2, 3}, {0, 0, 0, 1, 1, 1})}),
          exact("expand_class_token_batch", "Expand", {iota_in("x", {1, 1, 2}), ints("shape", {3, 1, 2})}, {},
                {tensor(DType::kF32, {3, 1, 2}, {0, 1, 0, 1, 0, 1})})};
}

std::vector<OpCase> tile_cases() {
  return {exact("tile_2d", "Tile", {iota_in("x", {2, 2}), ints("repeats", {2, 3})}, {},
                {tensor(DType::kF32, {4, 6}, {0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3})}),
          exact("tile_i64_ones", "Tile", {iota_in("x", {3}, DType::kI64), ints("repeats", {1})}, {}, {tensor(DType::kI64, {3}, {0, 1, 2})})};
}

std::vector<OpCase> constant_of_shape_cases() {
  return {exact("constant_of_shape_default_f32_zero", "ConstantOfShape", {ints("shape", {2, 3})}, {}, {tensor(DType::kF32, {2, 3}, std::vector<double>(6, 0))}),
          exact("constant_of_shape_i64_value", "ConstantOfShape", {ints("shape", {4})},
                {{"value", Attr::of_tensor(tensor(DType::kI64, {1}, {1}))}}, {tensor(DType::kI64, {4}, {1, 1, 1, 1})}),
          exact("constant_of_shape_scalar", "ConstantOfShape", {constant(in_values("shape", {0}, {}, DType::kI64))},
                {{"value", Attr::of_tensor(tensor(DType::kF32, {1}, {2.5}))}}, {tensor(DType::kF32, {}, {2.5})})};
}

std::vector<OpCase> range_cases() {
  auto scalar = [](std::string name, double v, DType t) { return constant(in_values(std::move(name), {}, {v}, t)); };
  return {exact("range_i64", "Range", {scalar("start", 0, DType::kI64), scalar("limit", 5, DType::kI64), scalar("delta", 2, DType::kI64)}, {},
                {tensor(DType::kI64, {3}, {0, 2, 4})}),
          exact("range_f32_negative_delta", "Range", {scalar("start", 1, DType::kF32), scalar("limit", -1, DType::kF32), scalar("delta", -0.5, DType::kF32)},
                {}, {tensor(DType::kF32, {4}, {1, 0.5, 0, -0.5})}),
          exact("range_empty", "Range", {scalar("start", 3, DType::kI32), scalar("limit", 1, DType::kI32), scalar("delta", 1, DType::kI32)}, {},
                {tensor(DType::kI32, {0}, {})})};
}

std::vector<OpCase> scatter_nd_cases() {
  // data [2, 3], indices [[1], [0]]: rows replaced by updates; [[0, 2]]: one element.
  return {exact("scatter_nd_rows", "ScatterND",
                {iota_in("data", {2, 3}), in_values("indices", {2, 1}, {1, 0}, DType::kI64), in_values("updates", {2, 3}, {10, 11, 12, 20, 21, 22})}, {},
                {tensor(DType::kF32, {2, 3}, {20, 21, 22, 10, 11, 12})}),
          exact("scatter_nd_element_negative_index", "ScatterND",
                {iota_in("data", {2, 3}), constant(in_values("indices", {1, 2}, {-1, 2}, DType::kI64)), in_values("updates", {1}, {-5})}, {},
                {tensor(DType::kF32, {2, 3}, {0, 1, 2, 3, 4, -5})}),
          exact("scatter_nd_add_duplicates", "ScatterND",
                {iota_in("data", {3}, DType::kI64), in_values("indices", {2, 1}, {1, 1}, DType::kI64), in_values("updates", {2}, {10, 100}, DType::kI64)},
                {{"reduction", Attr::of_string("add")}}, {tensor(DType::kI64, {3}, {0, 111, 2})}, 16)};
}

TEST(ShapeOpsErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase runtime_starts{.name = "s", .op_type = "Slice", .inputs = {in("x", {3}), in("starts", {1}, DType::kI64), ints("ends", {2})}};
  EXPECT_NE(msg(runtime_starts).find("starts must be a constant"), std::string::npos) << msg(runtime_starts);
  OpCase zero_step{.name = "s", .op_type = "Slice", .inputs = {in("x", {3}), ints("starts", {0}), ints("ends", {2}), ints("axes", {0}), ints("steps", {0})}};
  EXPECT_NE(msg(zero_step).find("step is 0"), std::string::npos) << msg(zero_step);
  OpCase bad_split{.name = "s", .op_type = "Split", .inputs = {in("x", {5}), ints("split", {2, 2})}, .outputs = 2};
  EXPECT_NE(msg(bad_split).find("sums to 4, axis 0 has size 5"), std::string::npos) << msg(bad_split);
  OpCase expand{.name = "e", .op_type = "Expand", .inputs = {in("x", {3}), ints("shape", {2, 4})}};
  EXPECT_NE(msg(expand).find("do not broadcast"), std::string::npos) << msg(expand);
  OpCase tile{.name = "t", .op_type = "Tile", .inputs = {in("x", {3, 2}), ints("repeats", {2})}};
  EXPECT_NE(msg(tile).find("input has rank 2"), std::string::npos) << msg(tile);
  OpCase range{.name = "r", .op_type = "Range", .inputs = {in("a", {}, DType::kI64), in("b", {}, DType::kI64), in("c", {}, DType::kI64)}};
  EXPECT_NE(msg(range).find("start must be a constant"), std::string::npos) << msg(range);
  OpCase scatter{.name = "s", .op_type = "ScatterND",
                 .inputs = {in("d", {2, 3}), constant(in_values("i", {1, 1}, {2}, DType::kI64)), in("u", {1, 3})}};
  EXPECT_NE(msg(scatter).find("index 2 out of range"), std::string::npos) << msg(scatter);
  // Squeeze of a scalar by axis 0 (fuzz_onnx: it read shape[0] of an empty shape and crashed).
  OpCase squeeze_scalar{.name = "q", .op_type = "Squeeze", .inputs = {in("x", {}), ints("axes", {0})}};
  EXPECT_NE(msg(squeeze_scalar).find("axis 0 given for a scalar input"), std::string::npos) << msg(squeeze_scalar);
  // Concat of scalars likewise (fuzz_onnx: it read dim 0 of an empty shape).
  OpCase concat_scalar{.name = "c", .op_type = "Concat", .attrs = {{"axis", Attr::of_int(0)}}, .inputs = {in("a", {}), in("b", {})}};
  EXPECT_NE(msg(concat_scalar).find("axis 0 given for a scalar input"), std::string::npos) << msg(concat_scalar);
}

// Issue #16: dims taken from attributes or constant inputs are multiplied and added with checks, so a product
// that wraps is one error naming the node, never a small plausible shape (Tile of [4] by 2^62 gave [0]).
TEST(ShapeOpsErrors, ShapeArithmeticThatWouldWrapIsAnError) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  constexpr double k2p62 = 0x1p62;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  OpCase tile{.name = "t", .op_type = "Tile", .inputs = {in("x", {4}), ints("repeats", {k2p62})}};
  EXPECT_NE(msg(tile).find("node t (Tile): output dim 0 overflows int64"), std::string::npos) << msg(tile);
  // Opset 2 takes pads as an attribute: [INT64_MAX, INT64_MAX] on a dim of 4 wrapped to 2.
  OpCase pad{.name = "p", .op_type = "Pad", .opset = 2, .attrs = {{"pads", Attr::of_ints({kMax, kMax})}}, .inputs = {in("x", {4})}};
  EXPECT_NE(msg(pad).find("padded dim 0 overflows int64"), std::string::npos) << msg(pad);
  OpCase reshape{.name = "r", .op_type = "Reshape", .inputs = {in("x", {4}), ints("shape", {k2p62, 4})}};
  EXPECT_NE(msg(reshape).find("overflows int64"), std::string::npos) << msg(reshape);
  // 4 x 2^62 + 4 wraps to 4, the axis's size.
  OpCase split{.name = "s", .op_type = "Split", .inputs = {in("x", {4}), ints("split", {k2p62, k2p62, k2p62, k2p62, 4})}, .outputs = 5};
  EXPECT_NE(msg(split).find("overflows int64"), std::string::npos) << msg(split);
  // Empty inputs may have huge dims; their sum along the axis still must not wrap.
  OpCase concat{.name = "c", .op_type = "Concat", .attrs = {{"axis", Attr::of_int(0)}},
                .inputs = {in("a", {int64_t{1} << 62, 0}), in("b", {int64_t{1} << 62, 0}), in("c", {int64_t{1} << 62, 0}), in("d", {int64_t{1} << 62, 0})}};
  EXPECT_NE(msg(concat).find("output dim 0 overflows int64"), std::string::npos) << msg(concat);
  OpCase flatten{.name = "f", .op_type = "Flatten", .attrs = {{"axis", Attr::of_int(1)}}, .inputs = {in("x", {0, int64_t{1} << 40, int64_t{1} << 40})}};
  EXPECT_NE(msg(flatten).find("overflows int64"), std::string::npos) << msg(flatten);
  auto scalar = [](std::string name, double v) { return constant(in_values(std::move(name), {}, {v})); };
  OpCase range{.name = "r", .op_type = "Range", .inputs = {scalar("a", 0), scalar("b", 0x1p100), scalar("c", 1)}};
  EXPECT_NE(msg(range).find("give 1.2676506002282294e+30 elements"), std::string::npos) << msg(range);
  OpCase range_nan{.name = "r", .op_type = "Range", .inputs = {scalar("a", 0), scalar("b", std::nan("")), scalar("c", 1)}};
  EXPECT_NE(msg(range_nan).find("elements"), std::string::npos) << msg(range_nan);
  OpCase resize{.name = "z", .op_type = "Resize",
                .inputs = {in("x", {1, 4}), absent("roi"), constant(in_values("scales", {2}, {1, std::numeric_limits<double>::infinity()}))}};
  EXPECT_NE(msg(resize).find("too large"), std::string::npos) << msg(resize);
}

}  // namespace inr::test
