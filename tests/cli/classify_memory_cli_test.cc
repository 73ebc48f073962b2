// `inr classify` holds the weights once (issue #16, item 7): its peak RSS on a synthetic ResNet50 (102 MB of
// weights) stays within 1.5x the weight bytes. Measured on the child process (wait4's ru_maxrss), with two
// threads so the oneDNN scratchpads do not depend on the machine's core count. Before: 362 MB (3.5x); now about
// 133 MB (1.3x) on AVX-512 VNNI and AVX2; the margin left (about 20 MB) is more than the two tiers differ by.
// One of the slower CLI tests: ~6 s (writing the model, then one classify).
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

// Runs the inr binary with `args` (stdout and stderr to /dev/null); returns the exit status and the child's
// peak resident set in bytes.
std::pair<int, size_t> run_measured(std::vector<std::string> args) {
  args.insert(args.begin(), test::cli_path());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (pid < 0 || ::wait4(pid, &status, 0, &ru) != pid) return {-1, 0};
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, static_cast<size_t>(ru.ru_maxrss) * 1024};
}

TEST(ClassifyMemory, PeakRssWithinOneAndAHalfTimesTheWeights) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found (an image to classify)";
  const std::string dir = test::temp_dir("classify_memory");
  const std::string model = dir + "/resnet50.onnx";
  auto synth = test::run_cli("synth resnet50 --seed 2 -o " + model);
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  // The weights: the model file's size (102.44 MB of weights and 35 KB of graph).
  const size_t weights = fs::file_size(model);
  ASSERT_GT(weights, size_t{100'000'000});
  const std::string image = test::data_dir() + "/images/dog.jpg";
  auto [code, peak] = run_measured({"classify", "-m", model, "-i", image, "--threads", "2"});
  ASSERT_EQ(code, 0);
  RecordProperty("peak_rss_bytes", std::to_string(peak));
  EXPECT_LE(peak, weights * 3 / 2) << "peak RSS " << (peak >> 20) << " MiB for " << (weights >> 20)
                                   << " MiB of weights";
}

}  // namespace
}  // namespace inr
