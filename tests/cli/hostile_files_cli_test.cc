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

// Images no decoder accepts, in a list file with labels.
std::string bad_list(const std::string& dir) {
  std::ofstream(dir + "/not_an_image.jpg") << "hello\n";
  std::ofstream(dir + "/zero_bytes.jpg");
  std::ofstream(dir + "/list.txt") << "not_an_image.jpg\t1\nzero_bytes.jpg\t2\n";
  return dir + "/list.txt";
}

TEST(HostileInput, EveryImageFailedIsAnErrorWithoutATable) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_all_failed");
  const std::string list = bad_list(dir);
  const std::string j = dir + "/j.jsonl";
  test::CliResult r = run_cli_bounded("eval -m " + int8_model() + " --data " + list +
                                      " --threads 1 --max-failures 10 --out " + j + " --summary " + dir + "/s.json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");  // no 0/0 table beside the error
  EXPECT_NE(r.err.find("inr: error: no image could be scored: all 2 failed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/s.json"));
  // The journal it wrote: merge and compare say the same, in one line, instead of a 0/0 table.
  r = run_cli_bounded("merge " + j);
  expect_one_line_error(r, "no image could be scored: all 2 failed");
  EXPECT_EQ(r.out, "");
  r = run_cli_bounded("compare " + j + " " + j);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("inr: error: no image could be scored by every side: all 2 failed"), std::string::npos)
      << r.err;
  // classify: no throughput line for nothing classified.
  r = run_cli_bounded("classify -m " + int8_model() + " -i " + list + " --threads 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("inr: error: 2 of 2 images failed"), std::string::npos) << r.err;
}

TEST(HostileInput, ClassListsOfTheWrongSizeAreRefused) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_class_lists");
  std::ofstream(dir + "/two.txt") << "a\nb\n";
  std::ofstream(dir + "/syn2.txt") << "n01440764 tench\nn01443537 goldfish\n";
  fs::create_directories(dir + "/wn/n01440764");
  fs::copy_file(dog(), dir + "/wn/n01440764/a.jpg");
  const std::string both = int8_model() + " " + fp32_model();
  expect_one_line_error(
      run_cli_bounded("compare " + both + " -i " + dog() + " --threads 1 --labels " + dir + "/two.txt"),
      "two.txt: 2 class names, but the model has 1000 classes");
  expect_one_line_error(
      run_cli_bounded("compare " + both + " --data " + dir + "/wn --threads 1 --labels " + dir + "/two.txt"),
      "two.txt: 2 class names, but the model has 1000 classes");
  expect_one_line_error(run_cli_bounded("eval -m " + int8_model() + " --data " + dir + "/wn --synsets " + dir +
                                        "/syn2.txt --threads 1"),
                        "syn2.txt: 2 synsets, but the model has 1000 classes");
  expect_one_line_error(
      run_cli_bounded("compare " + both + " --data " + dir + "/wn --synsets " + dir + "/syn2.txt --threads 1"),
      "syn2.txt: 2 synsets, but the model has 1000 classes");
  // Label 1000 on a 1000-class model, through eval (classify's check is tested in cli_test.cc).
  fs::copy_file(dog(), dir + "/a.jpg");
  std::ofstream(dir + "/l1000.txt") << "a.jpg\t1000\n";
  expect_one_line_error(run_cli_bounded("eval -m " + int8_model() + " --data " + dir + "/l1000.txt --threads 1"),
                        "'a.jpg' has label 1000 but the model scores 1000 classes (0..999)");
}

TEST(HostileInput, SecondEvalOnTheSameJournalIsRefusedWhileTheFirstRuns) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_journal_lock");
  const std::string j = dir + "/j.jsonl";
  const std::string eval = test::cli_path() + " eval -m " + int8_model() + " --data " + test::data_dir() +
                           "/imagenet/labels.tsv --limit 150 --threads 1 --batch 1 --out " + j;
  // The first run in the background; the second starts once the first has created (and locked) the journal.
  test::CliResult r = test::run_shell(
      "cd " + dir + " && (timeout 60 " + eval + " >first.out 2>first.err; echo $? >first.rc) & "
      "for i in $(seq 400); do [ -s " + j + " ] && break; sleep 0.05; done; "
      "timeout 60 " + eval + " --resume; rc=$?; wait; exit $rc");
  expect_one_line_error(r, j + ": another inr process is writing this journal");
  std::string first_rc = slurp(dir + "/first.rc");
  EXPECT_EQ(first_rc, "0\n") << slurp(dir + "/first.err");
  // The journal: its header and each of the 150 images once.
  EXPECT_EQ(test::count_lines(slurp(j)), 151);
}

TEST(HostileInput, OutputsThatAreNotRegularFilesAreRefusedBeforeTheRun) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_outputs");
  const std::string fifo = make_fifo(dir + "/out.fifo");
  fs::create_directories(dir + "/folder");
  fs::copy_file(dog(), dir + "/a.jpg");
  std::ofstream(dir + "/list.txt") << "a.jpg\t258\n";
  const std::string m8 = " -m " + int8_model() + " --threads 1";
  const std::string refused = ": exists and is not a regular file";
  for (const std::string& out : {fifo, dir + "/folder"}) {
    // Nothing on stdout: the check comes before the run, not after it printed its results.
    test::CliResult r = run_cli_bounded("classify" + m8 + " -i " + dog() + " -t " + out);
    expect_one_line_error(r, out + refused);
    EXPECT_EQ(r.out, "");
    r = run_cli_bounded("eval" + m8 + " --data " + dir + "/list.txt --summary " + out);
    expect_one_line_error(r, out + refused);
    EXPECT_EQ(r.out, "");
    r = run_cli_bounded("eval" + m8 + " --data " + dir + "/list.txt -t " + out);
    expect_one_line_error(r, out + refused);
    EXPECT_EQ(r.out, "");
  }
  // quantize names the path once.
  test::CliResult r = run_cli_bounded("quantize -m " + fp32_model() + " -o " + fifo + " --mode fp16");
  expect_one_line_error(r, fifo + refused);
  EXPECT_EQ(r.err.find(fifo + ": " + fifo), std::string::npos) << r.err;
  // A missing folder is refused up front too.
  r = run_cli_bounded("classify" + m8 + " -i " + dog() + " -t " + dir + "/nowhere/t.json");
  expect_one_line_error(r, "folder '" + dir + "/nowhere' does not exist");
  EXPECT_EQ(r.out, "");
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));  // left alone
}

TEST(HostileInput, FlagMistakesExitTwoBeforeAnyWork) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("hostile_flags");
  const std::string cls = "classify -m " + int8_model() + " -i " + dog() + " ";
  const std::string ev = "eval -m " + int8_model() + " --data " + test::data_dir() + "/imagenet/labels.tsv ";
  // 1e3 is not an integer (it used to parse as 1), whichever flag it is given to.
  for (const std::string& args :
       {cls + "--top 1e3", cls + "--batch 1e3", cls + "--threads 1e3", cls + "--resize 1e3", cls + "--crop 1e3",
        cls + "-r 1e3", ev + "--limit 1e3", ev + "--seed 1e3", ev + "--shard 1e3",
        "quantize -m " + fp32_model() + " -o " + dir + "/q.onnx --mode static --calib-count 1e3"}) {
    test::CliResult r = run_cli_bounded(args);
    expect_one_line_error(r, "1e3");
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
  // The preprocessing flags as a whole, -r and --shard: command-line mistakes, exit 2 (README).
  const std::pair<std::string, std::string> cases[] = {
      {"preprocess -i " + dog() + " -o " + dir + "/x.npy --crop 10000", "above the output pixel limit"},
      {cls + "--resize 0", "--resize: '0' is not a positive integer"},
      {cls + "--bgr --rgb", "--bgr and --rgb are mutually exclusive"},
      {cls + "-r 3,2", "1 <= START <= END"},
      {ev + "--shard 0/3", "1-based"},
  };
  for (const auto& [args, needle] : cases) {
    test::CliResult r = run_cli_bounded(args);
    expect_one_line_error(r, needle);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(dir + "/x.npy"));
}

}  // namespace
}  // namespace inr
