// End-to-end CLI tests: what a user types, what they see, and that bad input gives one clear line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "core/npy.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }

using test::expect_one_line_error;

TEST(Cli, Version) {
  auto r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("inr 0."), std::string::npos);
}

// inr re-executes itself with libgomp's short spin (tools/cli/main.cc) unless the user chose a wait policy.
TEST(Cli, OpenmpWaitIsTheShortSpinUnlessTheUserChose) {
  const std::string clean = "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u INR_NO_REEXEC ";
  auto d = test::run_shell(clean + test::cli_path() + " version");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("OpenMP wait: OMP_WAIT_POLICY=(unset) GOMP_SPINCOUNT=1000\n"), std::string::npos) << d.out;
  auto p = test::run_shell(clean + "OMP_WAIT_POLICY=passive " + test::cli_path() + " version");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("OpenMP wait: OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=(unset)\n"), std::string::npos) << p.out;
}

// classify --json lines: a header saying what made them, one record per image, a summary.
std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);)
    if (!l.empty()) out.push_back(nlohmann::json::parse(l));
  return out;
}

TEST(Cli, ClassifyDogIsSamoyed) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog.jpg -k 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0]["schema"]["name"], "inr.classify");
  EXPECT_EQ(lines[0]["model"]["sha256"], "7c5d4aca72978a5a05ea29c36b30c6bba4bf3837bdf24d0913faa1c6ea68f144");
  EXPECT_EQ(lines[0]["preprocess"]["preset"], "torchvision");
  EXPECT_GT(lines[0]["threads"].get<int>(), 0);
  const nlohmann::json& j = lines[1];
  EXPECT_EQ(j["image"], test::data_dir() + "/images/dog.jpg");
  ASSERT_EQ(j["top"].size(), 5u);
  EXPECT_EQ(j["top"][0], 258);
  EXPECT_EQ(j["names"][0], "Samoyed");
  EXPECT_NEAR(j["scores"][0].get<double>(), 0.772, 0.005);  // ORT: 77.2% (MANIFEST.md)
  EXPECT_GT(j["ms"].get<double>(), 0.0);
  EXPECT_FALSE(j.contains("label"));  // unknown for a bare image
  EXPECT_EQ(lines[2]["schema"]["name"], "inr.classify.summary");
  EXPECT_EQ(lines[2]["images"], 1);
  EXPECT_GT(lines[2]["images_per_s"].get<double>(), 0.0);
}

TEST(Cli, ClassifyTextListsTopK) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/cat.png -k 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::count_lines(r.out), 5) << r.out;  // image + 3 classes + throughput
  EXPECT_NE(r.out.find("tiger cat"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("images/s"), std::string::npos) << r.out;
}

// The class names are inside the binary: a copy of inr far from any checkout or data directory still
// names classes, and scores wnid folders.
TEST(Cli, LabelsWithoutADataDirectory) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("labels_away");
  fs::copy_file(test::cli_path(), dir + "/inr");
  const std::string away = "env -u INR_DATA_DIR INR_NO_REEXEC=1 " + dir + "/inr ";
  auto r = test::run_shell(away + "classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog.jpg -k 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Samoyed"), std::string::npos) << r.out;
  // A wnid-folder dataset of 4 val images (labels from imagenet/labels.tsv).
  std::ifstream tsv(test::data_dir() + "/imagenet/labels.tsv");
  int n = 0;
  for (std::string line; std::getline(tsv, line) && n < 4;) {
    std::stringstream ss(line);
    std::string path, label, wnid;
    std::getline(ss, path, '\t');
    std::getline(ss, label, '\t');
    std::getline(ss, wnid, '\t');
    if (path.rfind("val/", 0) != 0 || wnid.empty()) continue;
    fs::create_directories(dir + "/wnids/" + wnid);
    fs::create_symlink(test::data_dir() + "/imagenet/" + path, dir + "/wnids/" + wnid + "/" + fs::path(path).filename().string());
    ++n;
  }
  ASSERT_EQ(n, 4);
  auto e = test::run_shell(away + "eval -m " + fp32_model() + " --data " + dir + "/wnids --threads 2 --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.err, "");  // no "numbered in sorted order" caveat any more
  auto j = nlohmann::json::parse(e.out);
  EXPECT_EQ(j["images"], 4);
  EXPECT_GE(j["top5_count"].get<int>(), 3) << e.out;  // fp32 MobileNetV2 top-5 is 94% on val
  // A --labels file must fit the model.
  std::ofstream(dir + "/two.txt") << "a\nb\n";
  expect_one_line_error(run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog.jpg --labels " +
                                dir + "/two.txt"),
                        "2 class names, but the model has 1000 classes");
}

// ucb-bar's imagenet runner's flags: -p caffe2 as the runner means it (runner-caffe2), -x 0/1/2, -r, --repeat.
TEST(Cli, RunnerFlags) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string base = "classify -m " + test::data_dir() + "/models/mobilenetv2-12-int8.onnx -i " +
                           test::data_dir() + "/images/dog_224.jpg --json -k 1 ";
  auto alias = run_cli(base + "-p runner-caffe2 -x 0");
  auto named = run_cli(base + "-p caffe2-runner");
  ASSERT_EQ(alias.exit_code, 0) << alias.err;
  ASSERT_EQ(named.exit_code, 0) << named.err;
  std::vector<nlohmann::json> a = json_lines(alias.out), b = json_lines(named.out);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1]["top"], b[1]["top"]);
  EXPECT_EQ(a[0]["preprocess"], b[0]["preprocess"]);  // the alias is recorded under its preset's name
  EXPECT_EQ(a[0]["preprocess"]["preset"], "caffe2-runner");
  // inr's own caffe2 (the model card's pipeline) gives another answer here, and says so.
  auto card = run_cli(base + "-p caffe2");
  ASSERT_EQ(card.exit_code, 0) << card.err;
  EXPECT_NE(json_lines(card.out)[1]["top"], a[1]["top"]);
  EXPECT_NE(card.err.find("-p runner-caffe2"), std::string::npos) << card.err;
  // The same note from the commands whose drivers resolve -p themselves (eval, compare, quantize).
  const std::string q = test::data_dir() + "/models/mobilenetv2-12-int8.onnx";
  auto cmp = run_cli("compare " + q + " " + q + " -i " + test::data_dir() + "/images/dog_224.jpg -p caffe2 --latency-runs 0");
  ASSERT_EQ(cmp.exit_code, 0) << cmp.err;
  EXPECT_NE(cmp.err.find("-p runner-caffe2"), std::string::npos) << cmp.err;
  // -x 1 / -x 2 are the emulated Gemmini's dataflows; this zoo model (u8, zero points != 0) is not one the
  // Systolic EP takes, so every node falls back to the CPU backends and the answer is the same.
  for (const char* x : {"1", "2"}) {
    auto r = run_cli(base + "-p runner-caffe2 -x " + x);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json_lines(r.out)[1]["top"], a[1]["top"]);
  }
  expect_one_line_error(run_cli(base + "-x 3"), "is not a backend");
  // --repeat (the long form; -r is the runner's range) times each image several times.
  auto rep = run_cli(base + "--repeat 3");
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_EQ(json_lines(rep.out)[1]["top"][0], 208);  // torchvision preset: Labrador retriever (MANIFEST.md)
}

// Several -i, folders, quoted globs, list files with and without labels, the runner's -r range, batches.
TEST(Cli, ClassifyManyInputsInBatches) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("classify_many");
  const std::string img = test::data_dir() + "/images";
  // A labelled list relative to its folder, one unlabelled line, and a comment.
  std::ofstream(dir + "/list.txt") << "# photos\n" << img << "/dog.jpg 258\n" << img << "/cat.png\t282\n" << img
                                   << "/grace_hopper.jpg\n";
  auto r = run_cli("classify -m " + fp32_model() + " --threads 2 --batch 2 --json -k 5 -i " + dir + "/list.txt -i '" +
                   img + "/*_224.jpg'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u + 5u + 1u) << r.out;  // header, 3 listed + 2 globbed, summary
  EXPECT_EQ(lines[0]["batch"], 2);
  EXPECT_EQ(lines[1]["label"], 258);
  EXPECT_EQ(lines[1]["top"][0], 258);
  EXPECT_EQ(lines[2]["label"], 282);
  EXPECT_FALSE(lines[3].contains("label"));
  EXPECT_EQ(lines[4]["image"], img + "/cat_224.jpg");  // the glob's matches, sorted
  EXPECT_EQ(lines[5]["image"], img + "/dog_224.jpg");
  EXPECT_EQ(lines[5]["names"][0], "Labrador retriever");
  const nlohmann::json& sum = lines[6];
  EXPECT_EQ(sum["images"], 5);
  EXPECT_EQ(sum["top1_count"], 2);  // the two labelled photos (MANIFEST.md: Samoyed, tiger cat)

  // Batched results equal one-at-a-time ones.
  auto one = run_cli("classify -m " + fp32_model() + " --threads 2 --json -i " + dir + "/list.txt -r 2,3");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  std::vector<nlohmann::json> ol = json_lines(one.out);
  ASSERT_EQ(ol.size(), 4u) << one.out;  // -r 2,3: the cat and Grace Hopper
  EXPECT_EQ(ol[1]["image"], lines[2]["image"]);
  EXPECT_EQ(ol[1]["top"], lines[2]["top"]);
  EXPECT_EQ(ol[2]["top"], lines[3]["top"]);

  // A folder: every image under it, in path order.
  auto folder = run_cli("classify -m " + fp32_model() + " --threads 2 --batch 4 -k 1 -i " + test::data_dir() +
                        "/imagenet/val -r 1,6");
  ASSERT_EQ(folder.exit_code, 0) << folder.err;
  EXPECT_EQ(test::count_lines(folder.out), 6 * 2 + 1) << folder.out;
  EXPECT_NE(folder.out.find("6 images in"), std::string::npos) << folder.out;

  // Bad ranges and inputs: one line each.
  const std::string base = "classify -m " + fp32_model() + " -i " + dir + "/list.txt ";
  expect_one_line_error(run_cli(base + "-r 0"), "1-based");
  expect_one_line_error(run_cli(base + "-r 3,2"), "START <= END");
  expect_one_line_error(run_cli(base + "-r 2,9"), "the list has 3 images");
  expect_one_line_error(run_cli(base + "-r 1,3000000000000000000000000"), "-r");
  expect_one_line_error(run_cli("classify -m " + fp32_model() + " -i '" + dir + "/*.nothing'"), "no file matches");
  std::ofstream(dir + "/bad.txt") << img << "/dog.jpg 1000\n";
  expect_one_line_error(run_cli("classify -m " + fp32_model() + " -i " + dir + "/bad.txt"), "has label 1000");
}

TEST(Cli, ClassifyCorruptImageIsOneLine) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  for (const char* bad : {"truncated.jpg", "zero_bytes.jpg", "not_an_image.jpg", "corrupt_crc.png"}) {
    SCOPED_TRACE(bad);
    auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/edge/" + bad);
    expect_one_line_error(r, bad);
  }
}

TEST(Cli, MissingModelFile) {
  auto r = run_cli("classify -m /nonexistent/model.onnx -i x.jpg");
  expect_one_line_error(r, "/nonexistent/model.onnx");
}

std::string write_file(const std::string& name, const std::string& bytes) {
  std::string path = test::temp_dir("bad_models") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A small valid model: input [1,4] -> Relu -> Add(initializer) -> output.
onnx::ModelProto tiny_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  auto add_vi = [](onnx::ValueInfoProto* vi, const std::string& name) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(4);
  };
  add_vi(g->add_input(), "x");
  add_vi(g->add_output(), "y");
  auto* init = g->add_initializer();
  init->set_name("b");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(1);
  init->add_dims(4);
  for (int i = 0; i < 4; ++i) init->add_float_data(static_cast<float>(i));
  auto* relu = g->add_node();
  relu->set_name("relu");
  relu->set_op_type("Relu");
  relu->add_input("x");
  relu->add_output("r");
  auto* add = g->add_node();
  add->set_name("add");
  add->set_op_type("Add");
  add->add_input("r");
  add->add_input("b");
  add->add_output("y");
  return m;
}

std::string save(const std::string& name, const onnx::ModelProto& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return write_file(name, bytes);
}

TEST(Cli, RunTinyModelWritesNpy) {
  std::string model = save("tiny.onnx", tiny_model());
  std::string dir = test::temp_dir("run_tiny");
  Tensor x = Tensor::from_vector<float>(DType::kF32, {1, 4}, {-1.f, 2.f, -3.f, 4.f});
  ASSERT_TRUE(write_npy(dir + "/x.npy", x).is_ok());
  auto r = run_cli("run -m " + model + " --input " + dir + "/x.npy --output-dir " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto y = read_npy(dir + "/out/y.npy");
  ASSERT_TRUE(y.is_ok()) << y.status().message();
  std::vector<float> got(y->data<float>(), y->data<float>() + 4);
  EXPECT_EQ(got, (std::vector<float>{0.f, 3.f, 2.f, 7.f}));
}

TEST(Cli, RunWrongInputShape) {
  std::string model = save("tiny_shape.onnx", tiny_model());
  std::string dir = test::temp_dir("run_shape");
  ASSERT_TRUE(write_npy(dir + "/x.npy", Tensor::zeros(DType::kF32, {1, 5})).is_ok());
  auto r = run_cli("run -m " + model + " --input " + dir + "/x.npy --output-dir " + dir + "/out");
  expect_one_line_error(r, "input 'x': shape [1,5] does not match the model's [1,4]");
  EXPECT_FALSE(fs::exists(dir + "/out/y.npy"));
}

TEST(Cli, TruncatedOnnx) {
  std::string bytes;
  tiny_model().SerializeToString(&bytes);
  std::string path = write_file("truncated.onnx", bytes.substr(0, bytes.size() / 2));
  expect_one_line_error(run_cli("info -m " + path), "not a valid ONNX model");
}

TEST(Cli, NotOnnx) {
  std::string path = write_file("text.onnx", "this is not a model\n");
  expect_one_line_error(run_cli("info -m " + path), "not a valid ONNX model");
}

TEST(Cli, MissingInitializer) {
  onnx::ModelProto m = tiny_model();
  m.mutable_graph()->clear_initializer();
  expect_one_line_error(run_cli("info -m " + save("noinit.onnx", m)),
                        "input 'b' is neither a graph input, an initializer nor produced by a node");
}

TEST(Cli, GraphCycle) {
  onnx::ModelProto m = tiny_model();
  // relu reads the add's output: relu -> add -> relu.
  m.mutable_graph()->mutable_node(0)->set_input(0, "y");
  expect_one_line_error(run_cli("info -m " + save("cycle.onnx", m)), "cycle");
}

TEST(Cli, UnsupportedOpsAreAllNamed) {
  onnx::ModelProto m = tiny_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("FancyRelu");
  m.mutable_graph()->mutable_node(1)->set_op_type("Frobnicate");
  auto r = run_cli("info -m " + save("unsupported.onnx", m));
  expect_one_line_error(r, "unsupported ops: FancyRelu (relu), Frobnicate (add)");
}

TEST(Cli, InfoDescribesModel) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("info -m " + fp32_model());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("input:  input f32[?,3,224,224]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Conv"), std::string::npos);
  EXPECT_NE(r.out.find("parameters:"), std::string::npos);
  EXPECT_NE(r.out.find("runs: yes at f32[1,3,224,224] (onednn: "), std::string::npos) << r.out;
}

// What inr lacks beyond op names shows when the graph is specialised: info does that at the declared
// shapes and names the node and the reason in one line.
TEST(Cli, InfoNamesWhatInrCannotRun) {
  onnx::ModelProto m = tiny_model();
  auto* relu = m.mutable_graph()->mutable_node(0);
  relu->set_op_type("Softmax");
  auto* axis = relu->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(7);
  expect_one_line_error(run_cli("info -m " + save("bad_axis.onnx", m)), "cannot run at f32[1,4]: node relu (Softmax)");
  auto ok = run_cli("info -m " + save("tiny_info.onnx", tiny_model()));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("runs: yes at f32[1,4] ("), std::string::npos) << ok.out;
}

TEST(Cli, SynthWritesLoadableResNet18) {
  std::string out = test::temp_dir("synth_cli") + "/r18.onnx";
  auto r = run_cli("synth resnet18 --seed 3 -o " + out + " --batch dynamic");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto info = run_cli("info -m " + out);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("Conv                         20"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("BatchNormalization           20"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("input:  input f32[?,3,224,224]"), std::string::npos) << info.out;
  expect_one_line_error(run_cli("synth resnet7 -o " + out + ".x"), "unknown architecture 'resnet7'");
  EXPECT_FALSE(fs::exists(out + ".x"));
}

// The batch dim is dynamic unless a number is given: one file serves every batch size.
TEST(Cli, SynthBatchIsDynamicByDefault) {
  std::string dir = test::temp_dir("synth_batch");
  ASSERT_EQ(run_cli("synth resnet18 --image-size 32 --classes 10 -o " + dir + "/d.onnx").exit_code, 0);
  ASSERT_EQ(run_cli("synth resnet18 --image-size 32 --classes 10 --batch 2 -o " + dir + "/2.onnx").exit_code, 0);
  auto d = run_cli("info -m " + dir + "/d.onnx");
  EXPECT_NE(d.out.find("input:  input f32[?,3,32,32]"), std::string::npos) << d.out;
  auto two = run_cli("info -m " + dir + "/2.onnx");
  EXPECT_NE(two.out.find("input:  input f32[2,3,32,32]"), std::string::npos) << two.out;
  expect_one_line_error(run_cli("synth resnet18 --batch 0 -o " + dir + "/0.onnx"), "--batch must be positive");
}

TEST(Cli, BenchJson) {
  std::string out = test::temp_dir("bench_cli") + "/r18.onnx";
  ASSERT_EQ(run_cli("synth resnet18 -o " + out + " --batch dynamic").exit_code, 0);
  auto r = run_cli("bench -m " + out + " --batch 1,2 --runs 2 --warmup 1 --threads 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 2u);
  for (const auto& res : j["results"]) {
    for (const char* key : {"batch", "p50_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "images_per_s"})
      EXPECT_TRUE(res.contains(key)) << key;
    EXPECT_LE(res["min_ms"].get<double>(), res["p50_ms"].get<double>());
    EXPECT_GT(res["arena_bytes"].get<int64_t>(), 0);
  }
  EXPECT_EQ(j["results"][1]["batch"], 2);
}

TEST(Cli, FetchFromMirrorVerifiesChecksum) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("fetch mobilenetv2-12-int8 --model-dir " + test::data_dir() + "/models");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mobilenetv2-12-int8.onnx"), std::string::npos);
  // A mirror holding a file of the right name but wrong bytes is refused.
  std::string bad = test::temp_dir("bad_mirror");
  std::ofstream(bad + "/mobilenetv2-12-int8.onnx") << "not the model";
  expect_one_line_error(run_cli("fetch mobilenetv2-12-int8 --model-dir " + bad), "expected 3655640");
  expect_one_line_error(run_cli("fetch resnet50-v1-12 --model-dir " + bad), "resnet50-v1-12.onnx not found in mirror");
  expect_one_line_error(run_cli("fetch nosuchnet"), "unknown model 'nosuchnet'");
}

TEST(Cli, TraceHasOneEventPerNode) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string trace = test::temp_dir("trace") + "/t.json";
  auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog_224.jpg -t " + trace);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(trace);
  auto j = nlohmann::json::parse(in);
  int nodes = 0, runs = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "M") continue;  // track names
    EXPECT_EQ(e["ph"], "X");
    if (e["cat"] == "node") {
      ++nodes;
      EXPECT_TRUE(e["args"].contains("op_type"));
      EXPECT_TRUE(e["args"].contains("backend"));
    }
    if (e["cat"] == "run") ++runs;
  }
  EXPECT_EQ(runs, 1);
  // MobileNetV2 after fusion: 52 fused convs + GAP + Flatten-ish + MatMul/Add head; every executed node once.
  EXPECT_GT(nodes, 50);
}

}  // namespace
}  // namespace inr

namespace inr {
namespace {

TEST(Cli, ListTables) {
  auto cal = test::run_cli("list calibrators");
  ASSERT_EQ(cal.exit_code, 0) << cal.err;
  for (const char* name : {"minmax", "percentile", "entropy", "l2", "tf-enhanced"})
    EXPECT_NE(cal.out.find(name), std::string::npos) << name;
  auto presets = test::run_cli("list presets");
  ASSERT_EQ(presets.exit_code, 0);
  for (const char* name : {"torchvision", "caffe2", "caffe", "mxnet", "inception", "none"})
    EXPECT_NE(presets.out.find(name), std::string::npos) << name;
  auto ops = test::run_cli("list ops");
  ASSERT_EQ(ops.exit_code, 0);
  EXPECT_NE(ops.out.find("\nConv\n"), std::string::npos);
  EXPECT_NE(ops.out.find("com.microsoft.QLinearAdd"), std::string::npos);
  EXPECT_EQ(test::run_cli("list frobs").exit_code, 2);
}

}  // namespace
}  // namespace inr
