// ONNX backend node tests (Debian libonnx-testdata): every test listed in node_tests.txt loads its
// model.onnx through inr::Session::load, runs test_data_set_0's inputs and must reproduce its outputs
// within ONNX's own backend-test tolerance (rtol 1e-3, atol 1e-5; onnx/backend/test/runner), exactly for
// integer and bool outputs. The manifest lists every node test of the ops in src/ir/op_list.def; its
// excluded section gives the reason for each test left out.
//
// inr specialises a graph by its input shapes, and by the values of small integer inputs (inr/session.h),
// so integer operands that determine an output shape (Reshape's shape, Pad's pads/axes, Slice's starts,
// TopK's k, Resize's sizes, ...) run as real graph inputs. Float ones (Resize's scales, a float Range) must
// be constants: this test binds those to their test-data values as initializers before creating the session
// (what a model exporter would have written), and runs everything else as real inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/half.h"
#include "inr/session.h"
#include "ir/graph.h"
#include "onnx/onnx_io.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNodeTestRoot = "/usr/include/onnx/backend/test/data/node";
constexpr double kRtol = 1e-3;  // ONNX backend test defaults (onnx/backend/test/runner/__init__.py)
constexpr double kAtol = 1e-5;
constexpr int kMaxReportedMismatches = 5;

struct ShapeOperand {
  Op op;
  size_t input;
};
constexpr ShapeOperand kShapeOperands[] = {
    {Op::kReshape, 1}, {Op::kPad, 1}, {Op::kPad, 3}, {Op::kSqueeze, 1}, {Op::kUnsqueeze, 1}, {Op::kReduceMean, 1},
    {Op::kReduceMax, 1}, {Op::kReduceSum, 1}, {Op::kReduceSumSquare, 1}, {Op::kReduceL2, 1},
    {Op::kSlice, 1}, {Op::kSlice, 2}, {Op::kSlice, 3}, {Op::kSlice, 4}, {Op::kSplit, 1}, {Op::kExpand, 1},
    {Op::kTile, 1}, {Op::kConstantOfShape, 0}, {Op::kRange, 0}, {Op::kRange, 1}, {Op::kRange, 2}, {Op::kTopK, 1},
    {Op::kResize, 1}, {Op::kResize, 2}, {Op::kResize, 3},
};

bool is_shape_operand(const Graph& g, const Value* v) {
  for (const auto& n : g.nodes())
    for (const ShapeOperand& s : kShapeOperands)
      if (n->op == s.op && n->input(s.input) == v) return true;
  return false;
}

// ONNX 1.12's test generator stores bfloat16 tensors as uint16 TensorProtos (the same bits); read them back
// as the dtype the graph declares.
Tensor as_declared_dtype(Tensor t, DType declared) {
  if (t.dtype() == DType::kU16 && declared == DType::kBF16) {
    Tensor r = Tensor::empty(DType::kBF16, t.shape());
    if (t.bytes() > 0) std::memcpy(r.raw(), t.raw(), t.bytes());
    return r;
  }
  return t;
}

std::vector<std::string> manifest() {
  std::vector<std::string> names;
  std::ifstream in(test::source_dir() + "/tests/conformance/node_tests.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    names.push_back(line);
  }
  return names;
}

// Numbered .pb files (input_0.pb, input_1.pb, ...) of a test data set.
std::vector<std::string> numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> paths;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    paths.push_back(p.string());
  }
  return paths;
}

bool read_as_double(const Tensor& t, int64_t i, double* out) {
  switch (t.dtype()) {
    case DType::kF32: *out = t.data<float>()[i]; return true;
    case DType::kF64: *out = t.data<double>()[i]; return true;
    case DType::kF16: *out = f16_to_f32(t.data<uint16_t>()[i]); return true;
    case DType::kBF16: *out = bf16_to_f32(t.data<uint16_t>()[i]); return true;
    default: return false;
  }
}

// Empty string when equal within tolerance, else a description of the first mismatches.
std::string compare(const Tensor& expected, const Tensor& actual) {
  if (expected.dtype() != actual.dtype())
    return fmt::format("dtype {} expected {}", dtype_name(actual.dtype()), dtype_name(expected.dtype()));
  if (expected.shape() != actual.shape())
    return fmt::format("shape {} expected {}", shape_str(actual.shape()), shape_str(expected.shape()));
  std::string report;
  int mismatches = 0;
  if (dtype_is_float(expected.dtype())) {
    for (int64_t i = 0; i < expected.numel(); ++i) {
      double e = 0, a = 0;
      read_as_double(expected, i, &e);
      read_as_double(actual, i, &a);
      bool ok = (std::isnan(e) && std::isnan(a)) || e == a || std::abs(a - e) <= kAtol + kRtol * std::abs(e);
      if (!ok && mismatches++ < kMaxReportedMismatches) report += fmt::format(" [{}] {} vs expected {};", i, a, e);
    }
  } else if (expected.bytes() > 0 && std::memcmp(expected.raw(), actual.raw(), expected.bytes()) != 0) {
    mismatches = 1;
    report = " integer/bool output differs";
  }
  return mismatches == 0 ? "" : fmt::format("{} of {} elements differ:{}", mismatches, expected.numel(), report);
}

class NodeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NodeTest, MatchesStoredOutputs) {
  fs::path dir = fs::path(kNodeTestRoot) / GetParam();
  if (!fs::exists(fs::path(kNodeTestRoot))) GTEST_SKIP() << "libonnx-testdata is not installed (" << kNodeTestRoot << ")";
  ASSERT_TRUE(fs::exists(dir / "model.onnx")) << dir << " is listed in node_tests.txt but does not exist";
  fs::path data = dir / "test_data_set_0";

  auto graph = import_onnx_file((dir / "model.onnx").string());
  ASSERT_TRUE(graph.is_ok()) << graph.status().message();
  std::vector<std::string> input_files = numbered(data, "input_");
  ASSERT_EQ(input_files.size(), (*graph)->inputs.size()) << "test data inputs vs graph inputs";
  std::vector<Tensor> inputs;
  std::vector<Value*> runtime_inputs;
  for (size_t i = 0; i < input_files.size(); ++i) {
    auto t = read_tensor_pb(input_files[i]);
    ASSERT_TRUE(t.is_ok()) << t.status().message();
    Value* v = (*graph)->inputs[i];
    if (is_shape_operand(**graph, v) && t->dtype() != DType::kI64 && t->dtype() != DType::kI32) {
      v->constant = t.value();
      v->shape = t->shape();
      v->has_shape = true;
      continue;
    }
    runtime_inputs.push_back(v);
    inputs.push_back(as_declared_dtype(std::move(t.value()), v->dtype));
  }
  (*graph)->inputs = runtime_inputs;
  std::vector<Tensor> expected;
  std::vector<std::string> output_files = numbered(data, "output_");
  ASSERT_EQ(output_files.size(), (*graph)->outputs.size()) << "test data outputs vs graph outputs";
  for (size_t i = 0; i < output_files.size(); ++i) {
    auto t = read_tensor_pb(output_files[i]);
    ASSERT_TRUE(t.is_ok()) << t.status().message();
    expected.push_back(as_declared_dtype(std::move(t.value()), (*graph)->outputs[i]->dtype));
  }
  ASSERT_FALSE(expected.empty()) << "no output_N.pb in " << data;

  SessionOptions options;
  options.backend = "reference";
  auto session = Session::create(std::move(graph.value()), options);
  ASSERT_TRUE(session.is_ok()) << session.status().message();

  auto outputs = (*session)->run(inputs);
  ASSERT_TRUE(outputs.is_ok()) << outputs.status().message();
  ASSERT_EQ(outputs->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string diff = compare(expected[i], (*outputs)[i]);
    EXPECT_TRUE(diff.empty()) << "output " << i << ": " << diff;
  }
}

INSTANTIATE_TEST_SUITE_P(Onnx, NodeTest, ::testing::ValuesIn(manifest()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(NodeTestManifest, IsNotEmptyAndHasNoDuplicates) {
  std::vector<std::string> names = manifest();
  ASSERT_GT(names.size(), 0u) << "tests/conformance/node_tests.txt is missing or empty";
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "duplicate entry in node_tests.txt";
}

}  // namespace
}  // namespace inr
