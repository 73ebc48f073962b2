// Case tables for the shape and data-movement ops: Concat, Flatten, Reshape, Transpose, Squeeze, Unsqueeze,
// Shape, Gather, Constant, Identity, Dropout. Independent check: hand-computed outputs on small iota
// inputs (x[i] = i), where every output element names the input element it came from.
#include <gtest/gtest.h>

#include <numeric>

#include "op_case.h"
#include "ops/op_schema.h"

namespace inr::test {

namespace {
std::vector<double> iota(int64_t n, double start = 0) {
  std::vector<double> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}
CaseInput iota_in(std::string name, Shape s, DType dtype = DType::kF32, double start = 0) {
  return in_values(std::move(name), s, iota(shape_numel(s), start), dtype);
}
CaseInput ints(std::string name, std::vector<double> v) {
  int64_t n = static_cast<int64_t>(v.size());  // before v is moved from
  return constant(in_values(std::move(name), {n}, std::move(v), DType::kI64));
}
// Data movement is exact.
OpCase exact(std::string name, std::string op, std::vector<CaseInput> inputs, std::map<std::string, Attr> attrs,
             std::vector<Tensor> expected, int64_t opset = kDefaultOpset) {
  return OpCase{.name = std::move(name), .op_type = std::move(op), .opset = opset, .attrs = std::move(attrs),
                .inputs = std::move(inputs), .outputs = static_cast<int>(expected.size()), .expected = std::move(expected)};
}
}  // namespace

std::vector<OpCase> concat_cases() {
  return {exact("concat_axis1_three", "Concat", {iota_in("a", {2, 1, 2}), iota_in("b", {2, 2, 2}, DType::kF32, 10), iota_in("c", {2, 1, 2}, DType::kF32, 20)},
                {{"axis", Attr::of_int(1)}},
                {tensor(DType::kF32, {2, 4, 2}, {0, 1, 10, 11, 12, 13, 20, 21, 2, 3, 14, 15, 16, 17, 22, 23})}),
          exact("concat_i64_shape_vectors_neg_axis", "Concat", {ints("a", {1, 3}), ints("b", {-1})}, {{"axis", Attr::of_int(-1)}},
                {tensor(DType::kI64, {3}, {1, 3, -1})})};
}

std::vector<OpCase> flatten_cases() {
  return {exact("flatten_default_axis", "Flatten", {iota_in("x", {2, 3, 2})}, {}, {tensor(DType::kF32, {2, 6}, iota(12))}),
          exact("flatten_axis0", "Flatten", {iota_in("x", {2, 3})}, {{"axis", Attr::of_int(0)}}, {tensor(DType::kF32, {1, 6}, iota(6))}),
          exact("flatten_negative_axis", "Flatten", {iota_in("x", {2, 3, 2})}, {{"axis", Attr::of_int(-1)}}, {tensor(DType::kF32, {6, 2}, iota(12))})};
}

std::vector<OpCase> reshape_cases() {
  return {exact("reshape_zero_copies_dim_and_minus_one", "Reshape", {iota_in("x", {2, 3, 4}), ints("shape", {0, -1})}, {},
                {tensor(DType::kF32, {2, 12}, iota(24))}),
          exact("reshape_allowzero_empty", "Reshape", {in("x", {0, 3}), ints("shape", {3, 0})}, {{"allowzero", Attr::of_int(1)}},
                {tensor(DType::kF32, {3, 0}, {})}, 14),
          exact("reshape_i64", "Reshape", {iota_in("x", {6}, DType::kI64), ints("shape", {3, 2})}, {}, {tensor(DType::kI64, {3, 2}, iota(6))}),
          exact("reshape_u8", "Reshape", {iota_in("x", {2, 3, 1, 1}, DType::kU8), ints("shape", {2, -1})}, {},
                {tensor(DType::kU8, {2, 3}, iota(6))})};
}

std::vector<OpCase> transpose_cases() {
  return {exact("transpose_default_reverses", "Transpose", {iota_in("x", {2, 3})}, {}, {tensor(DType::kF32, {3, 2}, {0, 3, 1, 4, 2, 5})}),
          exact("transpose_nchw_to_nhwc", "Transpose", {iota_in("x", {1, 3, 2, 2})}, {{"perm", Attr::of_ints({0, 2, 3, 1})}},
                {tensor(DType::kF32, {1, 2, 2, 3}, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11})}),
          exact("transpose_u8_3d", "Transpose", {iota_in("x", {2, 3, 2}, DType::kU8)}, {{"perm", Attr::of_ints({1, 0, 2})}},
                {tensor(DType::kU8, {3, 2, 2}, {0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11})})};
}

std::vector<OpCase> squeeze_cases() {
  return {exact("squeeze_axes_input", "Squeeze", {iota_in("x", {1, 3, 1, 2}), ints("axes", {0, -2})}, {},
                {tensor(DType::kF32, {3, 2}, iota(6))}),
          exact("squeeze_all_ones", "Squeeze", {iota_in("x", {1, 3, 1})}, {}, {tensor(DType::kF32, {3}, iota(3))}),
          exact("squeeze_opset11_attr", "Squeeze", {iota_in("x", {2, 1})}, {{"axes", Attr::of_ints({1})}},
                {tensor(DType::kF32, {2}, iota(2))}, 11)};
}

std::vector<OpCase> unsqueeze_cases() {
  return {exact("unsqueeze_unsorted_negative", "Unsqueeze", {iota_in("x", {3, 2}), ints("axes", {-1, 0})}, {},
                {tensor(DType::kF32, {1, 3, 2, 1}, iota(6))}),
          exact("unsqueeze_opset11_attr_scalar", "Unsqueeze", {in_values("x", {}, {7}, DType::kI64)}, {{"axes", Attr::of_ints({0})}},
                {tensor(DType::kI64, {1}, {7})}, 11)};
}

std::vector<OpCase> shape_cases() {
  return {exact("shape_full", "Shape", {in("x", {2, 3, 5, 7})}, {}, {tensor(DType::kI64, {4}, {2, 3, 5, 7})}),
          exact("shape_start_end_opset15", "Shape", {in("x", {2, 3, 5, 7})}, {{"start", Attr::of_int(1)}, {"end", Attr::of_int(-1)}},
                {tensor(DType::kI64, {2}, {3, 5})}, 15),
          exact("shape_clamped_start", "Shape", {in("x", {2, 3})}, {{"start", Attr::of_int(-9)}}, {tensor(DType::kI64, {2}, {2, 3})}, 15)};
}

std::vector<OpCase> gather_cases() {
  return {exact("gather_axis0_negative_i64", "Gather", {iota_in("x", {3, 2}), constant(in_values("i", {2, 2}, {2, -3, 1, 1}, DType::kI64))}, {},
                {tensor(DType::kF32, {2, 2, 2}, {4, 5, 0, 1, 2, 3, 2, 3})}),
          exact("gather_axis1_i32_scalar_index", "Gather", {iota_in("x", {2, 3}), in_values("i", {}, {-1}, DType::kI32)},
                {{"axis", Attr::of_int(1)}}, {tensor(DType::kF32, {2}, {2, 5})}),
          exact("gather_i64_shape_dim", "Gather", {ints("x", {1, 3, 224, 224}), constant(in_values("i", {}, {0}, DType::kI64))}, {},
                {tensor(DType::kI64, {}, {1})})};
}

std::vector<OpCase> constant_cases() {
  std::vector<OpCase> v;
  v.push_back(exact("constant_value_tensor", "Constant", {}, {{"value", Attr::of_tensor(tensor(DType::kF32, {2, 2}, {1, 2, 3, 4}))}},
                    {tensor(DType::kF32, {2, 2}, {1, 2, 3, 4})}));
  v.push_back(exact("constant_value_ints", "Constant", {}, {{"value_ints", Attr::of_ints({3, -1})}}, {tensor(DType::kI64, {2}, {3, -1})}));
  v.push_back(exact("constant_value_float", "Constant", {}, {{"value_float", Attr::of_float(0.5f)}}, {tensor(DType::kF32, {}, {0.5})}));
  return v;
}

std::vector<OpCase> identity_cases() {
  return {exact("identity_f32", "Identity", {iota_in("x", {3, 5})}, {}, {tensor(DType::kF32, {3, 5}, iota(15))}),
          exact("identity_i64", "Identity", {iota_in("x", {4}, DType::kI64)}, {}, {tensor(DType::kI64, {4}, iota(4))})};
}

std::vector<OpCase> dropout_cases() {
  return {exact("dropout_inference_with_mask", "Dropout", {iota_in("x", {2, 3}), constant(in_values("ratio", {}, {0.3}))}, {},
                {tensor(DType::kF32, {2, 3}, iota(6)), tensor(DType::kBool, {2, 3}, std::vector<double>(6, 1))}),
          exact("dropout_opset7_ratio_attr", "Dropout", {iota_in("x", {5})}, {{"ratio", Attr::of_float(0.2f)}},
                {tensor(DType::kF32, {5}, iota(5))}, 7)};
}

TEST(DataMovementErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase two_minus{.name = "r", .op_type = "Reshape", .inputs = {in("x", {2, 3}), ints("shape", {-1, -1})}};
  EXPECT_NE(msg(two_minus).find("more than one -1"), std::string::npos) << msg(two_minus);
  OpCase count{.name = "r", .op_type = "Reshape", .inputs = {in("x", {2, 3}), ints("shape", {4, 2})}};
  EXPECT_NE(msg(count).find("cannot reshape [2,3]"), std::string::npos) << msg(count);
  OpCase runtime_shape{.name = "r", .op_type = "Reshape", .inputs = {in("x", {2, 3}), in("shape", {2}, DType::kI64)}};
  EXPECT_NE(msg(runtime_shape).find("shape must be a constant"), std::string::npos) << msg(runtime_shape);
  OpCase perm{.name = "t", .op_type = "Transpose", .attrs = {{"perm", Attr::of_ints({0, 0})}}, .inputs = {in("x", {2, 3})}};
  EXPECT_NE(msg(perm).find("not a permutation"), std::string::npos) << msg(perm);
  OpCase squeeze{.name = "s", .op_type = "Squeeze", .inputs = {in("x", {2, 3}), ints("axes", {1})}};
  EXPECT_NE(msg(squeeze).find("cannot squeeze axis 1 of size 3"), std::string::npos) << msg(squeeze);
  OpCase concat{.name = "c", .op_type = "Concat", .attrs = {{"axis", Attr::of_int(0)}}, .inputs = {in("a", {2, 3}), in("b", {2, 4})}};
  EXPECT_NE(msg(concat).find("differs from [2,3] outside axis 0"), std::string::npos) << msg(concat);
  OpCase gather_axis{.name = "g", .op_type = "Gather", .attrs = {{"axis", Attr::of_int(2)}}, .inputs = {in("x", {2, 3}), ints("i", {0})}};
  EXPECT_NE(msg(gather_axis).find("axis 2 out of range for rank 2"), std::string::npos) << msg(gather_axis);
  OpCase constant_two{.name = "k", .op_type = "Constant", .attrs = {{"value_int", Attr::of_int(1)}, {"value_ints", Attr::of_ints({1})}}};
  EXPECT_NE(msg(constant_two).find("exactly one value attribute"), std::string::npos) << msg(constant_two);
}

TEST(DataMovement, GatherIndexOutOfRangeIsAnErrorAtRun) {
  OpCase c{.name = "g", .op_type = "Gather", .inputs = {iota_in("x", {3, 2}), in_values("i", {1}, {3}, DType::kI64)}};
  auto r = run_reference(c);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("index 3 out of range"), std::string::npos) << r.status().message();
}

TEST(DataMovement, ShapeAndShapeArithmeticAreConstantAfterInfer) {
  // Shape -> Gather -> Unsqueeze -> Concat -> Reshape: every intermediate is known at infer time.
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x");
  x->dtype = DType::kF32;
  x->shape = {2, 3, 4};
  x->has_shape = true;
  g->inputs.push_back(x);
  Value* shape = g->add_value("shape");
  Value* batch = g->add_value("batch");
  Value* batch1 = g->add_value("batch1");
  Value* target = g->add_value("target");
  Value* y = g->add_value("y");
  std::vector<Node*> nodes = {
      g->add_node("s", "Shape", "", {x}, {shape}),
      g->add_node("g", "Gather", "", {shape, g->add_constant("zero", tensor(DType::kI64, {}, {0}))}, {batch}),
      g->add_node("u", "Unsqueeze", "", {batch, g->add_constant("axes", tensor(DType::kI64, {1}, {0}))}, {batch1}),
      g->add_node("c", "Concat", "", {batch1, g->add_constant("rest", tensor(DType::kI64, {1}, {-1}))}, {target}),
      g->add_node("r", "Reshape", "", {x, target}, {y}),
  };
  nodes[3]->attrs["axis"] = Attr::of_int(0);
  for (Node* n : nodes) ASSERT_TRUE(infer_node(*n).is_ok()) << infer_node(*n).message();
  ASSERT_TRUE(target->is_constant());
  EXPECT_EQ(compare_tensors(tensor(DType::kI64, {2}, {2, -1}), target->constant, 0, 0), "");
  EXPECT_EQ(y->shape, (Shape{2, 12}));
}

}  // namespace inr::test
