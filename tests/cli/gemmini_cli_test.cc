// The runner's Gemmini flow end to end (issue #11): `inr quantize --target gemmini` writes s8 symmetric,
// per-tensor weights; on that MobileNetV2, -x 0 (Gemmini's arithmetic on the CPU), -x 1 (OS tile model) and
// -x 2 (WS tile model) place every conv on the emulated Gemmini and give the same scores; contradicting
// flags and bad --systolic-config files are one-line errors. About 15 s (calibration on 8 images).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/npy.h"
#include "onnx/onnx_io.h"
#include "ops/quant_util.h"
#include "test_util.h"

namespace inr {
namespace {

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(GemminiCli, QuantizedMobileNetV2GivesTheSameScoresInEveryMode) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("gemmini_cli");
  const std::string model = dir + "/mnv2_gemmini.onnx";
  auto q = test::run_cli("quantize -m " + fp32_model() + " -o " + model + " --mode static --target gemmini --calib-data " +
                         test::data_dir() + "/imagenet/samples --calib-count 8 --json");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto summary = nlohmann::json::parse(q.out);
  EXPECT_EQ(summary["target"], "gemmini");
  EXPECT_EQ(summary["weights"]["granularity"], "per-tensor");
  EXPECT_EQ(summary["activations"]["type"], "s8");
  EXPECT_EQ(summary["activations"]["symmetric"], true);
  // Every QuantizeLinear zero point is 0 and every scale one value.
  auto g = import_onnx_file(model);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  int q_nodes = 0;
  for (const auto& n : (*g)->nodes()) {
    if (n->op != Op::kQuantizeLinear && n->op != Op::kDequantizeLinear) continue;
    ++q_nodes;
    EXPECT_EQ(n->inputs[1]->constant.numel(), 1) << n->label();
    if (n->input(2)) EXPECT_EQ(load_qint(n->input(2)->constant, 0), 0) << n->label();
  }
  EXPECT_GT(q_nodes, 100);

  const std::string images = test::data_dir() + "/images/dog.jpg " + test::data_dir() + "/images/cat.png";
  std::vector<nlohmann::json> first;
  for (const char* x : {"0", "1", "2"}) {
    auto r = test::run_cli("classify -m " + model + " -i " + images + " --json -k 5 -d 1 -x " + x);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // All 52 convolutions (with their ReLU6 folded) and the 10 residual adds run on the emulated Gemmini.
    EXPECT_NE(r.err.find(std::string("on systolic-") + (x[0] == '0' ? "cpu" : x[0] == '1' ? "os" : "ws")),
              std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("QLinearConv"), std::string::npos) << "a conv fell back: " << r.err;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 4u);
    if (first.empty()) {
      first = lines;
      EXPECT_EQ(lines[1]["top"][0], 258) << lines[1];  // Samoyed
      continue;
    }
    for (size_t i = 1; i < 3; ++i) {
      EXPECT_EQ(lines[i]["top"], first[i]["top"]) << "-x " << x;
      EXPECT_EQ(lines[i]["scores"], first[i]["scores"]) << "-x " << x;
    }
  }
  // The output bytes of one random input: -x 2 at -O 99 (the 35 one-group convs through the conv loop model)
  // and at -O 2 (im2col + tiled matmul everywhere) equal -x 0's.
  ASSERT_TRUE(write_npy(dir + "/x.npy", test::random_f32({1, 3, 224, 224}, 3, -2.f, 2.f)).is_ok());
  std::string cpu_bytes;
  for (const char* flags : {"-x 0", "-x 2 -O 99", "-x 2 -O 2"}) {
    const std::string out = dir + "/run" + std::to_string(std::string(flags).size());
    auto r = test::run_cli("run -m " + model + " --input " + dir + "/x.npy --output-dir " + out + " " + flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto bytes = read_file(out + "/output.npy");
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
    if (cpu_bytes.empty()) {
      cpu_bytes = *bytes;
    } else {
      EXPECT_TRUE(*bytes == cpu_bytes) << flags;
    }
  }
  // bench -x 2 --json carries the cycle model's numbers; -x 0 (no cycle model) does not.
  auto b = test::run_cli("bench -m " + model + " -x 2 --runs 1 --warmup 0 --json");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto r = nlohmann::json::parse(b.out)["results"][0];
  ASSERT_TRUE(r.contains("cycles")) << r;
  const double cycles = r["cycles"].get<double>(), util = r["utilization"].get<double>();
  EXPECT_GT(cycles, 0);
  EXPECT_GT(util, 0);
  EXPECT_LE(util, 1);
  EXPECT_NEAR(r["fps"].get<double>(), r["clock_hz"].get<double>() / cycles, 1e-9 * r["fps"].get<double>());
  // Never faster than every MAC on every PE each cycle.
  EXPECT_GE(cycles, r["accelerator_macs"].get<double>() / 256);
  auto b0 = test::run_cli("bench -m " + model + " -x 0 --runs 1 --warmup 0 --json");
  ASSERT_EQ(b0.exit_code, 0) << b0.err;
  EXPECT_FALSE(nlohmann::json::parse(b0.out)["results"][0].contains("cycles"));
}

// MobileNetV2 quantized with --target gemmini (calibrated on 8 images, about 2 s) in `dir`.
std::string gemmini_mobilenet(const std::string& dir) {
  const std::string model = dir + "/mnv2_gemmini.onnx";
  auto q = test::run_cli("quantize -m " + fp32_model() + " -o " + model +
                         " --mode static --target gemmini --calib-data " + test::data_dir() +
                         "/imagenet/samples --calib-count 8");
  EXPECT_EQ(q.exit_code, 0) << q.err;
  return model;
}

// A -x 1 / -x 2 trace: every systolic node that has a cost also sits on a second track (pid 2, named
// in a process_name event) in simulated time: back to back from 0, each lasting cycles / clock; convs nest
// the runner's im2col and matmul phases ("M, N, K" args) on the wall-clock track, except the -x 2 convs of
// one group, which run Gemmini's conv loop (one conv_loop phase, node args "conv_loop": true). `inr profile` sums the
// cycles, DMA bytes and utilisation by op type and by layer, and its per-run total is what `inr bench`
// reports per image.
TEST(GemminiCli, TraceHasASimulatedTrackAndProfileSumsCycles) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("gemmini_cli_trace");
  const std::string model = gemmini_mobilenet(dir);
  for (const char* x : {"1", "2"}) {
    const std::string trace = dir + "/trace_" + x + ".json";
    auto r = test::run_cli("classify -m " + model + " -i " + test::data_dir() + "/images/dog.jpg -k 1 -x " + x +
                           " -t " + trace);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(trace);
    const nlohmann::json t = nlohmann::json::parse(in);
    bool named = false;
    int64_t node_cycles = 0, sim_events = 0, node_events_with_cycles = 0, convs = 0, convs_with_phases = 0;
    int64_t conv_loops = 0;
    double cursor = 0;
    std::vector<const nlohmann::json*> nodes, phases;
    for (const auto& e : t["traceEvents"]) {
      if (e["ph"] == "M" && e["name"] == "process_name" && e["pid"] == 2) {
        named = true;
        EXPECT_NE(e["args"]["name"].get<std::string>().find(std::string("simulated time")), std::string::npos);
      }
      if (e["ph"] != "X") continue;
      if (e["cat"] == "simulated") {
        EXPECT_EQ(e["pid"], 2) << e;
        ++sim_events;
        // Back to back in simulated time (microseconds printed to 3 decimals), cycles / 1 GHz long.
        EXPECT_NEAR(e["ts"].get<double>(), cursor, 2e-3 * static_cast<double>(sim_events)) << e;
        EXPECT_NEAR(e["dur"].get<double>(), e["args"]["cycles"].get<double>() / 1e3, 1e-3) << e;
        EXPECT_GT(e["args"]["cycles"].get<int64_t>(), 0);
        cursor = e["ts"].get<double>() + e["dur"].get<double>();
        continue;
      }
      EXPECT_EQ(e["pid"], 1) << e;
      if (e["cat"] == "node") {
        nodes.push_back(&e);
        if (e.contains("args") && e["args"].contains("cycles")) {
          ++node_events_with_cycles;
          node_cycles += e["args"]["cycles"].get<int64_t>();
        }
      }
      if (e["cat"] == "phase") phases.push_back(&e);
    }
    EXPECT_TRUE(named) << "-x " << x;
    EXPECT_EQ(sim_events, node_events_with_cycles) << "-x " << x;
    EXPECT_GE(sim_events, 52 + 10) << "-x " << x;  // every conv and residual add, at least
    EXPECT_NEAR(cursor, static_cast<double>(node_cycles) / 1e3, 1.0) << "-x " << x;
    // Phases nest inside their conv (same thread, within its time), matmuls carry "M, N, K".
    for (const nlohmann::json* n : nodes) {
      if ((*n)["args"]["op_type"] != "QLinearConv") continue;
      ++convs;
      const double t0 = (*n)["ts"].get<double>(), t1 = t0 + (*n)["dur"].get<double>();
      bool im2col = false, matmul = false, loop = false;
      for (const nlohmann::json* p : phases) {
        const double p0 = (*p)["ts"].get<double>();
        if (p0 < t0 || p0 + (*p)["dur"].get<double>() > t1 + 1e-3 || (*p)["tid"] != (*n)["tid"]) continue;
        if ((*p)["name"] == "im2col") im2col = true;
        if ((*p)["name"] == "conv_loop") {
          loop = true;
          EXPECT_GT((*p)["args"]["tiles"].get<int64_t>(), 0);
        }
        if ((*p)["name"] == "matmul") {
          matmul = true;
          EXPECT_EQ((*p)["args"]["M, N, K"].get<std::string>().find(", "), (*p)["args"]["M, N, K"].get<std::string>().find(','));
        }
      }
      // -x 2 at -O 99 (the default): a conv of one group is Gemmini's conv loop, one conv_loop phase and no
      // host im2col; the depthwise convs (and every conv at -x 1) are im2col + matmul.
      const bool conv_loop = (*n)["args"].value("conv_loop", false);
      EXPECT_EQ(loop, conv_loop) << *n;
      if (conv_loop) {
        ++conv_loops;
        convs_with_phases += !im2col && !matmul;
      } else {
        convs_with_phases += im2col && matmul;
      }
    }
    EXPECT_EQ(convs, 52);
    EXPECT_EQ(convs_with_phases, convs) << "-x " << x;
    EXPECT_EQ(conv_loops, x[0] == '2' ? 52 - 17 : 0) << "-x " << x;

    auto p = test::run_cli("profile " + trace + " --json --top 1000 --sort cycles");
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const auto pj = nlohmann::json::parse(p.out);
    ASSERT_TRUE(pj.contains("simulated")) << p.out;
    EXPECT_EQ(pj["simulated"]["cycles"].get<int64_t>(), node_cycles);
    EXPECT_EQ(pj["runs"], 1);
    int64_t by_type = 0, by_node = 0, dma_in = 0, previous = INT64_MAX;
    for (const auto& row : pj["by_op_type"]) {
      by_type += row.value("cycles", int64_t{0});
      dma_in += row.value("dma_in_bytes", int64_t{0});
    }
    for (const auto& row : pj["by_node"]) {
      const int64_t c = row.value("cycles", int64_t{0});
      EXPECT_LE(c, previous) << "--sort cycles";
      previous = c;
      by_node += c;
      if (c > 0) {
        if (row["macs"].get<int64_t>() > 0) EXPECT_GT(row["utilization"].get<double>(), 0) << row;
        EXPECT_LE(row["utilization"].get<double>(), 1) << row;
      }
    }
    EXPECT_EQ(by_type, node_cycles);
    EXPECT_EQ(by_node, node_cycles);
    EXPECT_EQ(dma_in, pj["simulated"]["dma_in_bytes"].get<int64_t>());
    const auto conv_row = std::find_if(pj["by_op_type"].begin(), pj["by_op_type"].end(),
                                       [](const nlohmann::json& row) { return row["name"] == "QLinearConv"; });
    ASSERT_NE(conv_row, pj["by_op_type"].end());
    EXPECT_GT((*conv_row)["cycles"].get<int64_t>(), node_cycles / 2);
    // The per-run total is bench's cycles per image.
    auto b = test::run_cli("bench -m " + model + " -x " + x + " --runs 1 --warmup 0 --json");
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(b.out)["results"][0]["cycles"].get<double>(),
                     pj["simulated"]["cycles_per_run"].get<double>());
    auto text = test::run_cli("profile " + trace + " --top 3");
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("Mcycles"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("cycles per run"), std::string::npos) << text.out;
  }
  // -x 0 computes without a cycle model: no second track, no cycle columns, and --sort cycles says why.
  const std::string trace0 = dir + "/trace_0.json";
  auto r0 = test::run_cli("classify -m " + model + " -i " + test::data_dir() + "/images/dog.jpg -k 1 -x 0 -t " + trace0);
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  auto p0 = test::run_cli("profile " + trace0 + " --json");
  ASSERT_EQ(p0.exit_code, 0) << p0.err;
  EXPECT_FALSE(nlohmann::json::parse(p0.out).contains("simulated"));
  EXPECT_EQ(test::run_cli("profile " + trace0).out.find("Mcycles"), std::string::npos);
  test::expect_one_line_error(test::run_cli("profile " + trace0 + " --sort cycles"), "needs simulated cycles");
}

// A synthetic ResNet50 (seeded weights, 64x64 input: 340 M MACs) quantized with --target gemmini: 53
// convolutions (1x1, 3x3 and the 7x7 stride-2 stem, with residual adds and the stem's padded max pool) all run
// on the emulated Gemmini, and -x 0, -x 1 and -x 2 write the same output bytes, with or without the runner's
// -O 99 (whose convs all run the conv loop model at -x 2). About 12 s.
TEST(GemminiCli, SyntheticResNet50IsBitExactInEveryMode) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("gemmini_cli_resnet50");
  auto s = test::run_cli("synth resnet50 --image-size 64 --batch 1 -o " + dir + "/r50.onnx");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto q = test::run_cli("quantize -m " + dir + "/r50.onnx -o " + dir + "/r50_gemmini.onnx --mode static --target gemmini "
                         "--resize 73 --crop 64 --calib-count 4 --calib-data " + test::data_dir() + "/imagenet/samples");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  ASSERT_TRUE(write_npy(dir + "/x.npy", test::random_f32({1, 3, 64, 64}, 7, -2.f, 2.f)).is_ok());
  std::string first;
  for (const char* x : {"0", "1", "2"}) {
    const std::string out = dir + "/out" + x;
    auto r = test::run_cli("run -m " + dir + "/r50_gemmini.onnx --input " + dir + "/x.npy --output-dir " + out +
                           " -d 0 -x " + x);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string backend = std::string("systolic-") + (x[0] == '0' ? "cpu" : x[0] == '1' ? "os" : "ws");
    size_t on_gemmini = 0;
    for (const char* op : {"(QLinearConv) -> ", "(QLinearAdd) -> ", "(MaxPool) -> "}) {
      for (size_t pos = r.err.find(op); pos != std::string::npos; pos = r.err.find(op, pos + 1)) {
        EXPECT_EQ(r.err.compare(pos + std::string(op).size(), backend.size(), backend), 0)
            << r.err.substr(pos, 200);
        ++on_gemmini;
      }
    }
    EXPECT_EQ(on_gemmini, 53u + 16u + 1u) << "-x " << x;
    auto bytes = read_file(out + "/output.npy");
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
    if (first.empty()) {
      first = *bytes;
      auto t = read_npy(out + "/output.npy");
      ASSERT_TRUE(t.is_ok());
      const float* v = t->data<float>();
      EXPECT_NE(*std::min_element(v, v + t->numel()), *std::max_element(v, v + t->numel()));  // not degenerate
      continue;
    }
    EXPECT_TRUE(*bytes == first) << "-x " << x << " differs from -x 0";
  }
  // The runner's -O 99 (the default) against -O 2: the same bytes; in the cycle model, WS 3x3 convs run
  // Gemmini's conv loop instead of host im2col + matmul, and the stem's MaxPool is fused into conv1 (the
  // pooled mvout writes the 4x smaller pooled output, and the MaxPool costs nothing).
  std::map<std::string, std::map<std::string, nlohmann::json>> args;  // -O -> node -> args
  for (const char* o : {"2", "99"}) {
    const std::string out = dir + "/outO" + o, trace = dir + "/traceO" + o + ".json";
    auto r = test::run_cli("run -m " + dir + "/r50_gemmini.onnx --input " + dir + "/x.npy --output-dir " + out +
                           " -x 2 -O " + o + " -t " + trace);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto bytes = read_file(out + "/output.npy");
    ASSERT_TRUE(bytes.is_ok());
    EXPECT_TRUE(*bytes == first) << "-O " << o;
    std::ifstream in(trace);
    const nlohmann::json t = nlohmann::json::parse(in);
    for (const auto& e : t["traceEvents"])
      if (e["ph"] == "X" && e["cat"] == "node") args[o][e["name"].get<std::string>()] = e["args"];
  }
  const auto &conv2 = args["2"]["conv1"], &conv99 = args["99"]["conv1"];
  ASSERT_TRUE(conv2.contains("cycles") && conv99.contains("cycles")) << conv2 << "\n" << conv99;
  EXPECT_EQ(conv2["dma_out_bytes"].get<int64_t>(), 64 * 32 * 32);  // the conv output, pooled by the MaxPool
  EXPECT_EQ(conv99["dma_out_bytes"].get<int64_t>(), 64 * 16 * 16);  // the pooled output only
  EXPECT_EQ(conv99["fused_pool"], "maxpool");
  EXPECT_GT(args["2"]["maxpool"]["cycles"].get<int64_t>(), 0);
  EXPECT_FALSE(args["99"]["maxpool"].contains("cycles"));
  EXPECT_EQ(args["99"]["maxpool"]["fused_into"], "conv1");
  EXPECT_LT(conv99["cycles"].get<int64_t>(), conv2["cycles"].get<int64_t>() + args["2"]["maxpool"]["cycles"].get<int64_t>());
  const auto &c3_2 = args["2"]["layer1.0.conv2"], &c3_99 = args["99"]["layer1.0.conv2"];  // a 3x3 conv
  EXPECT_LT(c3_99["dma_in_bytes"].get<int64_t>(), c3_2["dma_in_bytes"].get<int64_t>());  // no 9x im2col operand
  // At -O 99 every conv (all of one group) ran the conv loop model, conv1 with the pooled mvout; at -O 2 none.
  for (const char* o : {"2", "99"}) {
    int loops = 0;
    for (const auto& [name, a] : args[o]) loops += a.value("conv_loop", false);
    EXPECT_EQ(loops, o[0] == '9' ? 53 : 0) << "-O " << o;
  }
  EXPECT_EQ(conv99.value("conv_loop", false), true);
}

TEST(GemminiCli, ContradictingFlagsAndBadConfigsAreOneLineErrors) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("gemmini_cli_errors");
  const std::string base = "quantize -m " + fp32_model() + " -o " + dir + "/x.onnx --calib-data " + test::data_dir() +
                           "/imagenet/samples --target gemmini ";
  test::expect_one_line_error(test::run_cli(base + "--mode static --act u8"), "--target gemmini implies");
  test::expect_one_line_error(test::run_cli(base + "--mode static --weight u8"), "drop --weight u8");
  test::expect_one_line_error(test::run_cli(base + "--mode dynamic"), "--mode static");
  std::ofstream(dir + "/bad.json") << R"({"dim": 12})";
  const std::string classify = "classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog.jpg -x 2 ";
  test::expect_one_line_error(test::run_cli(classify + "--systolic-config " + dir + "/bad.json"), "dim");
  test::expect_one_line_error(test::run_cli(classify + "--systolic-config " + dir + "/missing.json"), "missing.json");
  // A valid config (a 32x32 array) runs.
  std::ofstream(dir + "/big.json") << R"({"dim": 32, "sp_bytes": 524288, "acc_bytes": 131072})";
  auto r = test::run_cli(classify + "--systolic-config " + dir + "/big.json --json -k 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace inr
