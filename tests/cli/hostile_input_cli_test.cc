// Issue #16 through the CLI: input files that are FIFOs (which would block open(2) forever), outputs that
// are not regular files, all-failed journals, class lists of the wrong size, and flag mistakes. Every
// command here runs under `timeout`, so a regression to a hang fails the test instead of stalling ctest.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using test::expect_one_line_error;

std::string int8_model() { return test::data_dir() + "/models/mobilenetv2-12-int8.onnx"; }
std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
std::string dog() { return test::data_dir() + "/images/dog.jpg"; }

// `inr ARGS` under a 20 s timeout: a hang shows up as exit 124 with nothing on stderr.
test::CliResult run_cli_bounded(const std::string& args) {
  return test::run_shell("timeout 20 " + test::cli_path() + " " + args);
}

std::string make_fifo(const std::string& path) {
  EXPECT_EQ(::mkfifo(path.c_str(), 0644), 0) << path;
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(HostileInput, FifoImageInAListIsOneFailedImageNotAHang) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_fifo_image");
  fs::copy_file(dog(), dir + "/a.jpg");
  make_fifo(dir + "/b.jpg");
  std::ofstream(dir + "/list.txt") << "a.jpg\t258\nb.jpg\t1\n";
  // classify: the readable image is classified, the FIFO is a per-image failure like a corrupt JPEG.
  test::CliResult r = run_cli_bounded("classify -m " + int8_model() + " -i " + dir + "/list.txt --threads 1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("a.jpg"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("b.jpg: not a regular file"), std::string::npos) << r.err;
  // eval: the same, counted as a failed image.
  r = run_cli_bounded("eval -m " + int8_model() + " --data " + dir + "/list.txt --threads 1 --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("\"failed\":1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("b.jpg: not a regular file"), std::string::npos) << r.err;
  // One FIFO image given directly.
  expect_one_line_error(run_cli_bounded("classify -m " + int8_model() + " -i " + dir + "/b.jpg"),
                        "b.jpg: not a regular file");
  expect_one_line_error(run_cli_bounded("preprocess -i " + dir + "/b.jpg -o " + dir + "/x.npy"),
                        "b.jpg: not a regular file");
}

TEST(HostileInput, FifoTextInputsAreRefusedNotWaitedFor) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_fifo_text");
  const std::string list = make_fifo(dir + "/list.txt");
  const std::string labels = make_fifo(dir + "/labels.txt");
  const std::string gt = make_fifo(dir + "/gt.txt");
  const std::string syn = make_fifo(dir + "/synsets.txt");
  // A flat folder (for --ground-truth) and a wnid folder (for --synsets) with one image each.
  fs::create_directories(dir + "/flat");
  fs::copy_file(dog(), dir + "/flat/a.jpg");
  fs::create_directories(dir + "/wn/n02111889");
  fs::copy_file(dog(), dir + "/wn/n02111889/a.jpg");
  const std::string m8 = " -m " + int8_model();
  expect_one_line_error(run_cli_bounded("eval" + m8 + " --data " + list), "list.txt: not a regular file");
  expect_one_line_error(run_cli_bounded("classify" + m8 + " -i " + list), "list.txt: not a regular file");
  expect_one_line_error(run_cli_bounded("quantize -m " + fp32_model() + " -o " + dir +
                                        "/q.onnx --mode static --calib-data " + list),
                        "list.txt: not a regular file");
  EXPECT_FALSE(fs::exists(dir + "/q.onnx"));
  expect_one_line_error(run_cli_bounded("classify" + m8 + " -i " + dog() + " --labels " + labels),
                        "labels.txt: not a regular file");
  expect_one_line_error(run_cli_bounded("compare " + int8_model() + " " + fp32_model() + " -i " + dog() +
                                        " --threads 1 --labels " + labels),
                        "labels.txt: not a regular file");
  expect_one_line_error(run_cli_bounded("eval" + m8 + " --data " + dir + "/flat --ground-truth " + gt),
                        "gt.txt: not a regular file");
  expect_one_line_error(run_cli_bounded("eval" + m8 + " --data " + dir + "/wn --synsets " + syn),
                        "synsets.txt: not a regular file");
}

TEST(HostileInput, FifoModelSaysNotARegularFile) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_fifo_model");
  const std::string m = make_fifo(dir + "/m.onnx");
  std::ofstream(dir + "/list.txt") << dog() << "\t258\n";
  for (const std::string& args :
       {"classify -m " + m + " -i " + dog(), "eval -m " + m + " --data " + dir + "/list.txt",
        "quantize -m " + m + " -o " + dir + "/q.onnx --mode fp16", "info -m " + m, "bench -m " + m,
        "compare " + m + " " + int8_model() + " -i " + dog()})
    expect_one_line_error(run_cli_bounded(args), "m.onnx: not a regular file");
}

}  // namespace
}  // namespace inr
