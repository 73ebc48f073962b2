// Issue #16 ("Hardening"), the remaining items: hostile models and flag values through the CLI give one
// `inr: error:` line and a non-zero exit (or, where inr can run it, the right answer), never a hang, a crash or
// a silent wrong result. Models are built here with the ONNX protobuf; every case runs in well under a second.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/npy.h"
#include "onnx_test_util.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using test::expect_one_line_error;
using test::run_cli;

void add_value(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<int64_t>& dims,
               const std::string& batch_param = "") {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (size_t i = 0; i < dims.size(); ++i) {
    auto* d = tt->mutable_shape()->add_dim();
    if (i == 0 && !batch_param.empty()) {
      d->set_dim_param(batch_param);
    } else {
      d->set_dim_value(dims[i]);
    }
  }
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                          const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : ins) n->add_input(i);
  for (const auto& o : outs) n->add_output(o);
  return n;
}

void add_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void add_init(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims, float value) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  for (int64_t i = 0; i < n; ++i) t->add_float_data(value);
}

onnx::ModelProto new_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  m.mutable_graph()->set_name("hostile");
  return m;
}

std::string save(const std::string& dir, const std::string& name, const onnx::ModelProto& m) {
  return test::save_model(dir + "/" + name, m);
}

// x [1,1,9,9] -> Conv(w [1,1,3,3] of ones, strides [2^31, 1]) -> y [1,1,1,7].
onnx::ModelProto huge_stride_conv() {
  onnx::ModelProto m = new_model();
  auto* g = m.mutable_graph();
  add_value(g->add_input(), "x", {1, 1, 9, 9});
  add_value(g->add_output(), "y", {1, 1, 1, 7});
  add_init(g, "w", {1, 1, 3, 3}, 1.f);
  add_ints(add_node(g, "Conv", {"x", "w"}, {"y"}, "conv"), "strides", {int64_t{1} << 31, 1});
  return m;
}

// oneDNN 2.6 cannot describe a stride of 2^31 (it narrows to int): the node falls back to the reference
// backend and runs (it failed with "could not create a descriptor for a dilated convolution", naming nothing).
TEST(HostileCli, StrideBeyondOnednnIntFallsBackToReference) {
  std::string dir = test::temp_dir("hostile_stride");
  std::string model = save(dir, "stride.onnx", huge_stride_conv());
  std::vector<float> xs(81);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i);
  ASSERT_TRUE(write_npy(dir + "/x.npy", Tensor::from_vector<float>(DType::kF32, {1, 1, 9, 9}, xs)).is_ok());
  auto r = run_cli("run -m " + model + " --input " + dir + "/x.npy --output-dir " + dir + "/out -d 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("place node conv (Conv) -> reference (onednn does not support it: stride 2147483648"), std::string::npos)
      << r.err;
  auto y = read_npy(dir + "/out/y.npy");
  ASSERT_TRUE(y.is_ok()) << y.status().message();
  ASSERT_EQ(y->shape(), (Shape{1, 1, 1, 7}));
  // Row 0 only, x[r][c] = 9r + c: y[0, j] = sum over r 0..2, c j..j+2 = 3 * 9 * (0 + 1 + 2) + 3 * (3j + 3) = 9j + 90.
  for (int j = 0; j < 7; ++j) EXPECT_EQ(y->data<float>()[j], 9.f * static_cast<float>(j) + 90.f) << j;
}

// A Tile whose output dim wraps (4 x 2^62 = 0 mod 2^64) gave an empty output with exit 0.
TEST(HostileCli, WrappingTileIsOneErrorAndNoOutput) {
  std::string dir = test::temp_dir("hostile_tile");
  onnx::ModelProto m = new_model();
  auto* g = m.mutable_graph();
  add_value(g->add_input(), "x", {4});
  g->add_output()->set_name("y");
  auto* reps = g->add_initializer();
  reps->set_name("reps");
  reps->set_data_type(onnx::TensorProto::INT64);
  reps->add_dims(1);
  reps->add_int64_data(int64_t{1} << 62);
  add_node(g, "Tile", {"x", "reps"}, {"y"}, "tile");
  std::string model = save(dir, "tile.onnx", m);
  ASSERT_TRUE(write_npy(dir + "/x.npy", Tensor::zeros(DType::kF32, {4})).is_ok());
  auto r = run_cli("run -m " + model + " --input " + dir + "/x.npy --output-dir " + dir + "/out");
  expect_one_line_error(r, "node tile (Tile): output dim 0 overflows int64 (4 * 4611686018427387904)");
  EXPECT_FALSE(fs::exists(dir + "/out/y.npy"));
}

// Nodes without names are named by op type and index in messages (they read "node '' (MaxPool)").
TEST(HostileCli, UnnamedNodesAreNamedByOpAndIndex) {
  std::string dir = test::temp_dir("hostile_noname");
  onnx::ModelProto pool = new_model();
  auto* g = pool.mutable_graph();
  add_value(g->add_input(), "x", {1, 1, 4, 4});
  g->add_output()->set_name("y");
  auto* mp = add_node(g, "MaxPool", {"x"}, {"y"});
  add_ints(mp, "kernel_shape", {2, 2});
  add_ints(mp, "pads", {2, 2, 0, 0});
  expect_one_line_error(run_cli("info -m " + save(dir, "pool.onnx", pool)),
                        "node MaxPool_0 (MaxPool): pads (2, 0) of spatial dim 0 must be smaller than the window (2)");

  onnx::ModelProto unsupported = new_model();
  g = unsupported.mutable_graph();
  add_value(g->add_input(), "x", {1, 4});
  g->add_output()->set_name("y");
  add_node(g, "Relu", {"x"}, {"r"});
  add_node(g, "Frobnicate", {"r"}, {"y"});
  expect_one_line_error(run_cli("info -m " + save(dir, "frob.onnx", unsupported)), "unsupported ops: Frobnicate (Frobnicate_1)");
}

// A model whose first output has zero rows: classify refuses it instead of printing an empty top-5.
TEST(HostileCli, ZeroRowOutputIsRefusedByClassify) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("hostile_zero_rows");
  onnx::ModelProto m = new_model();
  auto* g = m.mutable_graph();
  add_value(g->add_input(), "x", {1, 3, 224, 224});
  add_value(g->add_output(), "y", {0, 1000});
  add_value(g->add_output(), "xo", {1, 3, 224, 224});
  auto* z = g->add_initializer();
  z->set_name("z");
  z->set_data_type(onnx::TensorProto::FLOAT);
  z->add_dims(0);
  z->add_dims(3);
  add_init(g, "w", {3, 1000}, 1.f);
  add_node(g, "MatMul", {"z", "w"}, {"y"}, "mm");
  add_node(g, "Identity", {"x"}, {"xo"}, "id");
  std::string model = save(dir, "zero_rows.onnx", m);
  auto r = run_cli("classify -m " + model + " -i " + test::data_dir() + "/images/dog.jpg");
  expect_one_line_error(r, "output 'y' is [0,1000], expected [1, classes]");
  EXPECT_EQ(r.out, "");
}

// bench at a batch whose input would exceed the tensor size limit names the input and its size before
// allocating (it was a bare "out of memory").
TEST(HostileCli, HugeBenchBatchNamesTheInputAndItsSize) {
  std::string dir = test::temp_dir("hostile_bench");
  onnx::ModelProto m = new_model();
  auto* g = m.mutable_graph();
  add_value(g->add_input(), "x", {1, 3, 224, 224}, "N");
  add_value(g->add_output(), "y", {1, 3, 224, 224}, "N");
  add_node(g, "Relu", {"x"}, {"y"}, "relu");
  auto r = run_cli("bench -m " + save(dir, "dyn.onnx", m) + " --batch 1000000 -r 1 --warmup 0");
  expect_one_line_error(r, "input 'x' at batch 1000000: shape [1000000,3,224,224] of f32 (602.1 GB) exceeds inr's tensor size limit");
}

// Finite but unbounded numbers: a Server schedule of --qps 1e300 never reached its duration (a hang growing by
// GBs); --threads 10000 hung creating threads.
TEST(HostileCli, RatesAndThreadCountsAreBounded) {
  expect_one_line_error(run_cli("loadgen -m x.onnx --scenario Server --qps 1e300 --latency-bound-ms 15 --duration 1"),
                        "--qps: must be between 0.001 and 1000000, got 1e300");
  std::string dir = test::temp_dir("hostile_loadgen");
  onnx::ModelProto m = new_model();
  auto* g = m.mutable_graph();
  add_value(g->add_input(), "x", {1, 4});
  add_value(g->add_output(), "y", {1, 4});
  add_node(g, "Relu", {"x"}, {"y"}, "relu");
  auto r = run_cli("loadgen -m " + save(dir, "relu.onnx", m) +
                   " --scenario Server --qps 1000000 --latency-bound-ms 15 --duration 100");
  expect_one_line_error(r, "schedules about 100000000 queries, above loadgen's limit of 10000000 per run");
  expect_one_line_error(run_cli("loadgen -m x.onnx --min-queries 100000000000"),
                        "--min-queries: must be between 1 and 10000000, got 100000000000");
  for (const char* cmd : {"classify -m x.onnx -i dog.jpg", "bench -m x.onnx", "compare a.onnx b.onnx -i dog.jpg"})
    expect_one_line_error(run_cli(std::string(cmd) + " --threads 10000"), "--threads: must be between 0 and 1024, got 10000");
}

}  // namespace
}  // namespace inr
