// The CPU tier from the command line (issue #9): `inr version` and `inr bench` say which tier is in force,
// INR_MAX_ISA caps it (and a bad value is one error line), bench and the trace name each step's kernel.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/cpu_tier.h"
#include "test_util.h"

namespace inr {
namespace {

using test::expect_one_line_error;
using test::run_shell;

// The CLI with no cap inherited from the test's environment (each test sets the one it means).
std::string cli() { return std::string("env -u INR_MAX_ISA -u ONEDNN_MAX_CPU_ISA ") + INR_CLI_PATH; }
// The CLI with exactly the cap `assignment` (e.g. "INR_MAX_ISA=avx2").
std::string cli_with(const std::string& assignment) {
  return "env -u INR_MAX_ISA -u ONEDNN_MAX_CPU_ISA " + assignment + " " + INR_CLI_PATH;
}

TEST(CpuTierCli, VersionPrintsTheTier) {
  auto r = run_shell(cli() + " version");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string name(cpu_tier_name(detected_cpu_tier()));
  EXPECT_NE(r.out.find("cpu tier: " + name), std::string::npos) << r.out;
}

TEST(CpuTierCli, CapLowersTheTier) {
  auto r = run_shell(cli_with("INR_MAX_ISA=avx2") + " version");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (detected_cpu_tier() > CpuTier::kAvx2)
    EXPECT_NE(r.out.find("cpu tier: avx2 (capped by INR_MAX_ISA; the CPU has"), std::string::npos) << r.out;
  else
    EXPECT_NE(r.out.find("cpu tier: " + std::string(cpu_tier_name(detected_cpu_tier()))), std::string::npos);
  auto b = run_shell(cli_with("INR_MAX_ISA=baseline") + " version");
  EXPECT_NE(b.out.find("cpu tier: baseline"), std::string::npos) << b.out;
  // oneDNN's own variable caps inr too when INR_MAX_ISA is unset.
  auto o = run_shell(cli_with("ONEDNN_MAX_CPU_ISA=SSE41") + " version");
  EXPECT_NE(o.out.find("cpu tier: baseline"), std::string::npos) << o.out;
}

TEST(CpuTierCli, BadCapIsOneLine) {
  expect_one_line_error(run_shell(cli_with("INR_MAX_ISA=avx3") + " version"), "INR_MAX_ISA: unknown CPU tier 'avx3'");
  expect_one_line_error(run_shell(cli_with("ONEDNN_MAX_CPU_ISA=FOO") + " version"), "ONEDNN_MAX_CPU_ISA=FOO");
}

// The zoo's int8 model at the AVX2 tier: bench counts the kernels, --json lists them per step, and the split
// route's steps are there (full-range per-channel weights need it without VNNI).
TEST(CpuTierCli, BenchNamesKernels) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string model = test::data_dir() + "/models/mobilenetv2-12-int8.onnx";
  auto r = run_shell(cli_with("INR_MAX_ISA=avx2") + " bench -m " + model + " --batch 1 --runs 2 --warmup 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cpu tier: avx2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("batch 1 kernels: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":avx2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inr int8 requant"), std::string::npos) << r.out;
  auto j = run_shell(cli_with("INR_MAX_ISA=avx2") + " bench -m " + model + " --batch 1 --runs 1 --warmup 0 --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto js = nlohmann::json::parse(j.out);
  EXPECT_EQ(js["cpu_tier"], "avx2");
  const auto& kernels = js["results"][0]["kernels"];
  ASSERT_GT(kernels.size(), 50u);
  bool main_rest = false;
  for (const auto& k : kernels) main_rest |= k.get<std::string>().find(" rest: jit_uni_int8") != std::string::npos;
  EXPECT_TRUE(main_rest);
}

TEST(CpuTierCli, TraceNamesKernels) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string trace = test::temp_dir("tier_trace") + "/t.json";
  auto r = run_shell(cli_with("INR_MAX_ISA=avx2") + " classify -m " + test::data_dir() +
                     "/models/mobilenetv2-12-int8.onnx -i " + test::data_dir() + "/images/dog.jpg -t " + trace);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(trace);
  auto j = nlohmann::json::parse(in);
  int convs = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["cat"] != "node" || e["args"]["op_type"] != "QLinearConv") continue;
    ++convs;
    std::string kernel = e["args"]["kernel"];
    EXPECT_NE(kernel.find(":avx2"), std::string::npos) << kernel;
  }
  EXPECT_EQ(convs, 52);
}

}  // namespace
}  // namespace inr
