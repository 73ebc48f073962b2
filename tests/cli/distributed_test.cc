// Sharded runs without a scheduler (the Slurm test, label slurm, runs them on a real one):
//  - `eval --shard auto` with the variables a Slurm array task or a Kubernetes Indexed Job pod sees, merged
//    to the unsharded totals, and its one-line error when neither is set;
//  - distributed calibration, for every calibrator: `--calib-shard K/N --save-observers` per shard (one of
//    them through `--calib-shard auto`), then `--observers` gives the one-process model byte for byte;
//  - the refusals: missing / repeated shard, other model, preset, calibrator, selection or op types, a damaged
//    file, and the flag combinations that make no sense. No refusal leaves a model behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/file.h"
#include "quant/calibrator.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
std::string val() { return test::data_dir() + "/imagenet/val"; }

void expect_error_exit_1(const test::CliResult& r, const std::string& needle) {
  test::expect_one_line_error(r, needle);
  EXPECT_EQ(r.exit_code, 1) << r.err;
}

std::string file_bytes(const std::string& path) {
  auto r = read_file(path);
  EXPECT_TRUE(r) << path;
  return r ? *r : std::string();
}

test::CliResult run_with_env(const std::string& env, const std::string& args) {
  return test::run_shell("env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX " + env + " " + test::cli_path() + " " + args);
}

class Distributed : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
    dir_ = test::temp_dir("distributed");
  }
  std::string dir_;
};

TEST_F(Distributed, EvalShardAutoFromSlurmAndKubernetesMergesToTheUnshardedRun) {
  const std::string gt = test::data_dir() + "/labels/ILSVRC2012_val_ground_truth_caffe.txt";
  const std::string common = "eval -m " + fp32_model() + " --data " + val() + " --ground-truth " + gt + " --limit 30 ";
  auto one = test::run_cli(common + "--json");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  // A Kubernetes Indexed Job of 3 pods, and a Slurm array --array=4-6 (ids need not start at 0).
  for (const std::string scheduler : {"k8s", "slurm"}) {
    SCOPED_TRACE(scheduler);
    std::string files;
    for (int i = 0; i < 3; ++i) {
      std::string env = scheduler == "k8s" ? "JOB_COMPLETION_INDEX=" + std::to_string(i) + " INR_SHARD_COUNT=3"
                                           : "SLURM_ARRAY_TASK_ID=" + std::to_string(4 + i) +
                                                 " SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_MAX=6 SLURM_ARRAY_TASK_COUNT=3";
      std::string out = dir_ + "/" + scheduler + "-" + std::to_string(i) + ".jsonl";
      auto r = run_with_env(env, common + "--shard auto --json --out " + out);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(json::parse(r.out)["dataset"]["shard"], std::to_string(i + 1) + "/3");
      files += " " + out;
    }
    auto merged = test::run_cli("merge" + files + " --json");
    ASSERT_EQ(merged.exit_code, 0) << merged.err;
    json m = json::parse(merged.out), o = json::parse(one.out);
    EXPECT_TRUE(m["complete"].get<bool>());
    for (const char* k : {"images", "failed", "top1_count", "top5_count"}) EXPECT_EQ(m[k], o[k]) << k;
  }
  expect_error_exit_1(run_with_env("", common + "--shard auto"), "--shard auto: no scheduler shard in the environment");
  expect_error_exit_1(run_with_env("JOB_COMPLETION_INDEX=0", common + "--shard auto"), "INR_SHARD_COUNT is not");
}

// One calibrator per test, so CTest can run them side by side (each about 4 s of CPU).
class DistributedCalibration : public Distributed, public ::testing::WithParamInterface<std::string> {};

TEST_P(DistributedCalibration, MergedShardsGiveTheOneProcessModelByteForByte) {
  // 10 images in batches of 4: batches {4, 4, 2}; 2 shards take 1 and 2 of them (the short one last).
  const std::string model = "quantize -m " + fp32_model() + " --mode static --calib " + GetParam() + " ";
  const std::string data = "--calib-data " + val() + " --calib-count 10 --calib-batch 4 ";
  auto one = test::run_cli(model + data + "-o " + dir_ + "/one.onnx");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto s1 = test::run_cli(model + data + "--calib-shard 1/2 --save-observers " + dir_ + "/obs-1.bin --json");
  ASSERT_EQ(s1.exit_code, 0) << s1.err;
  EXPECT_EQ(json::parse(s1.out)["images_used"], 4);
  // Shard 2 as Slurm array task 1 of --array=0-1 runs it.
  auto s2 = run_with_env("SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=2",
                         model + data + "--calib-shard auto --save-observers " + dir_ + "/obs-2.bin --json");
  ASSERT_EQ(s2.exit_code, 0) << s2.err;
  json j2 = json::parse(s2.out);
  EXPECT_EQ(j2["images_used"], 6);
  EXPECT_EQ(j2["shard"], "2/2");
  EXPECT_FALSE(fs::exists(dir_ + "/one.onnx.tmp"));
  auto merged = test::run_cli(model + "-o " + dir_ + "/merged.onnx --json --observers " + dir_ + "/obs-2.bin " + dir_ +
                              "/obs-1.bin");
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  json m = json::parse(merged.out);
  EXPECT_EQ(m["images_used"], 10);
  EXPECT_EQ(m["observer_shards"], 2);
  std::string a = file_bytes(dir_ + "/one.onnx"), b = file_bytes(dir_ + "/merged.onnx");
  EXPECT_GT(a.size(), 1000000u);
  EXPECT_TRUE(a == b) << "the merged model differs from the one-process model (" << a.size() << " vs " << b.size()
                      << " bytes)";
}

std::vector<std::string> calibrator_names() {
  std::vector<std::string> names;
  for (const auto& c : quant::calibrators()) names.emplace_back(c.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(EveryCalibrator, DistributedCalibration, ::testing::ValuesIn(calibrator_names()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

TEST_F(Distributed, ObserverFilesThatDoNotBelongTogetherAreRefused) {
  const std::string model = "quantize -m " + fp32_model() + " --mode static --calib minmax ";
  const std::string data = "--calib-data " + val() + " --calib-count 8 --calib-batch 4 ";
  const std::string o1 = dir_ + "/obs-1.bin", o2 = dir_ + "/obs-2.bin", out = dir_ + "/m.onnx";
  for (int k : {1, 2}) {
    auto r = test::run_cli(model + data + "--calib-shard " + std::to_string(k) + "/2 --save-observers " + dir_ +
                           "/obs-" + std::to_string(k) + ".bin");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto merge = [&](const std::string& files, const std::string& extra = "") {
    return test::run_cli(model + extra + "-o " + out + " --observers " + files);
  };
  ASSERT_EQ(merge(o1 + " " + o2).exit_code, 0);
  fs::remove(out);

  expect_error_exit_1(merge(o1), "missing calibration shard 2/2");
  expect_error_exit_1(merge(o1 + " " + o1 + " " + o2), "calibration shard 1/2 is given twice");
  // The run using the files: another calibrator, preset, bins or set of tensors.
  expect_error_exit_1(test::run_cli("quantize -m " + fp32_model() + " --mode static --calib l2 -o " + out +
                                    " --observers " + o1 + " " + o2),
                      "was calibrated for --calib minmax, this run asks for l2");
  expect_error_exit_1(merge(o1 + " " + o2, "-p mxnet "), "preprocessed with");
  expect_error_exit_1(merge(o1 + " " + o2, "--bins 1024 "), "this run asks for --bins 1024");
  expect_error_exit_1(merge(o1 + " " + o2, "--op-types Conv "), "different --op-types");
  // Another model: the same graph with one unknown protobuf field appended (field 100, varint 1), so
  // only its sha256 differs.
  std::string other = dir_ + "/other.onnx";
  fs::copy_file(fp32_model(), other);
  std::ofstream(other, std::ios::app | std::ios::binary) << std::string("\xa0\x06\x01", 3);
  expect_error_exit_1(test::run_cli("quantize -m " + other + " --mode static --calib minmax -o " + out +
                                    " --observers " + o1 + " " + o2),
                      "was made by model");
  // A shard of another image selection (10 images instead of 8).
  std::string o2b = dir_ + "/obs-2-of-10.bin";
  ASSERT_EQ(test::run_cli(model + "--calib-data " + val() + " --calib-count 10 --calib-batch 4 --calib-shard 2/2 "
                          "--save-observers " + o2b).exit_code, 0);
  expect_error_exit_1(merge(o1 + " " + o2b), "covers dataset images 8");
  // A damaged file.
  std::string cut = dir_ + "/cut.bin", bytes = file_bytes(o2);
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_error_exit_1(merge(o1 + " " + cut), "truncated or damaged");
  expect_error_exit_1(merge(o1 + " " + fp32_model()), "not an inr observer file");
  EXPECT_FALSE(fs::exists(out)) << "a refused merge wrote a model";

  // Flags that make no sense together.
  expect_error_exit_1(test::run_cli(model + data + "--calib-shard 1/2 -o " + out), "--calib-shard needs --save-observers");
  expect_error_exit_1(test::run_cli(model + data + "--calib-shard 1/2 --save-observers " + dir_ + "/x.bin -o " + out),
                      "drop -o");
  expect_error_exit_1(test::run_cli(model + data + "-o " + out + " --observers " + o1 + " " + o2), "drop --calib-data");
  expect_error_exit_1(test::run_cli(model + data + "--calib-shard 1/3 --save-observers " + dir_ + "/x.bin"),
                      "calibration shard 1/3 has no images: 8 images make 2 batches of 4; use at most 2 shards");
  expect_error_exit_1(run_with_env("", model + data + "--calib-shard auto --save-observers " + dir_ + "/x.bin"),
                      "--calib-shard auto: no scheduler shard");
  expect_error_exit_1(test::run_cli(model + data + "--calib-shard 0/2 --save-observers " + dir_ + "/x.bin"),
                      "--calib-shard '0/2': K is 1-based");
  expect_error_exit_1(test::run_cli("quantize -m " + fp32_model() + " --mode dynamic -o " + out + " --observers " + o1),
                      "go with --mode static");
  expect_error_exit_1(test::run_cli(model + data), "-o/--output is required");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir_ + "/x.bin"));
}

}  // namespace
}  // namespace inr
