// Command-line errors (tools/cli/cli_errors.h) and --help defaults: every mistake on the command line is ONE
// stderr line `inr: error: ...` with exit code 2, in plain words, naming the closest command or option when
// a name is mistyped; --help and --version exit 0; every option's default is shown in --help. None of these
// needs the shared data: the errors come before any file is opened.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "test_util.h"

namespace inr {
namespace {

using test::run_cli;

// Exactly `line` (without "inr: error: ") on one stderr line, exit code 2, nothing on stdout.
void expect_error_line(const test::CliResult& r, const std::string& line) {
  EXPECT_EQ(r.err, "inr: error: " + line + "\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
}

// One `inr: error:` line containing `needle`, exit code 2.
void expect_usage_error(const test::CliResult& r, const std::string& needle) {
  test::expect_one_line_error(r, needle);
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

// The subcommands, from the one list of them (a new command is covered without editing this test).
std::vector<std::string> commands() {
  std::ifstream in(test::source_dir() + "/tools/cli/commands.def");
  std::vector<std::string> out;
  std::string line;
  std::regex re("^INR_COMMAND\\((\\w+)\\)");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) out.push_back(m[1]);
  return out;
}

TEST(CliErrors, MistypedCommandNamesTheClosest) {
  expect_error_line(run_cli("clasify -m x.onnx -i dog.jpg"),
                    "unknown command 'clasify'; did you mean 'classify'?");
  expect_error_line(run_cli("qunatize -m a.onnx -o b.onnx"),
                    "unknown command 'qunatize'; did you mean 'quantize'?");
  // --help after a mistyped command is still an error, not the top-level help.
  expect_error_line(run_cli("evl --help"), "unknown command 'evl'; did you mean 'eval'?");
  // Nothing close: the list of commands.
  expect_usage_error(run_cli("frobnicate"), "unknown command 'frobnicate' (commands: version, ");
  expect_usage_error(run_cli(""), "no command given (commands: version, ");
}

TEST(CliErrors, MistypedOptionNamesTheClosest) {
  expect_error_line(run_cli("classify --modle x.onnx -i dog.jpg"),
                    "unknown option '--modle'; did you mean '--model'?");
  expect_error_line(run_cli("eval -m x.onnx --data d --bach 4"),
                    "unknown option '--bach'; did you mean '--batch'?");
  expect_error_line(run_cli("quantize -m a -o b --mode static --calib-dat d"),
                    "unknown option '--calib-dat'; did you mean '--calib-data'?");
  expect_error_line(run_cli("classify -m x.onnx -i dog.jpg --top=3 --jsno"),
                    "unknown option '--jsno'; did you mean '--json'?");
  // The suggestion comes from the command's own options: --calib-data is quantize's, not classify's.
  expect_error_line(run_cli("classify -m x.onnx -i dog.jpg --calib-data d"),
                    "unknown option '--calib-data' (see 'inr classify --help')");
  expect_error_line(run_cli("--verison"), "unknown option '--verison'; did you mean '--version'?");
}

TEST(CliErrors, RangeChecksSayWhatTheyWant) {
  expect_error_line(run_cli("classify -m x.onnx -i dog.jpg --threads -1"), "--threads: must be between 0 and 1024, got -1");
  expect_error_line(run_cli("classify -m x.onnx -i dog.jpg --top 0"), "--top: must be >= 1, got 0");
  expect_error_line(run_cli("bench -m x.onnx --batch 1,0,16"), "--batch: must be >= 1, got 0");
  expect_error_line(run_cli("eval -m x.onnx --data d --limit -5"), "--limit: must be >= 1, got -5");
  expect_error_line(run_cli("classify -m x.onnx -i dog.jpg -d 9"), "--debug: must be between 0 and 4, got 9");
  expect_error_line(run_cli("quantize -m a -o b --mode static --percentile 20"),
                    "--percentile: must be between 50 and 100, got 20");
  expect_error_line(run_cli("quantize -m a -o b --mode statc"),
                    "--mode: 'statc' is not one of fp16, dynamic, static; did you mean 'static'?");
  expect_error_line(run_cli("list frobs"), "'frobs' is not one of ops, presets, calibrators, backends");
  // NaN passes every comparison and inf every lower bound: `bench --duration nan` never ended.
  expect_error_line(run_cli("bench -m x.onnx --duration nan"), "--duration: must be a finite number, got nan");
  expect_error_line(run_cli("bench -m x.onnx --duration inf"), "--duration: must be a finite number, got inf");
  expect_error_line(run_cli("quantize -m a -o b --mode static --percentile nan"),
                    "--percentile: must be a finite number, got nan");
  expect_error_line(run_cli("quantize -m a -o b --mode static --tfe-gamma nan"),
                    "--tfe-gamma: must be a finite number, got nan");
  // Bounded: a thread count typo hung eval; a 0-class model was written without a word.
  expect_error_line(run_cli("eval -m x.onnx --data d --decode-threads 100000"),
                    "--decode-threads: must be between 1 and 256, got 100000");
  expect_error_line(run_cli("synth resnet18 -o x.onnx --classes 0"), "--classes: must be between 1 and 1000000, got 0");
}

TEST(CliErrors, ValuesCountsAndRequiredOptions) {
  expect_error_line(run_cli("preprocess -i a.jpg -i b.jpg -o x.png"), "--image takes one value but was given 2");
  expect_error_line(run_cli("classify -i dog.jpg"), "--model is required (ONNX model file)");
  expect_error_line(run_cli("list"), "missing argument <what> (ops | presets | calibrators | backends)");
  expect_error_line(run_cli("classify -i dog.jpg -m"), "-m needs a value (ONNX model file)");
  expect_error_line(run_cli("classify -m -i dog.jpg"), "-m needs a value, got the option '-i' instead");
  expect_error_line(run_cli("classify -m x.onnx -i dog.jpg --top abc"), "--top: 'abc' is not a number");
  expect_error_line(run_cli("synth resnet18 -o x.onnx --image-size big"),
                    "--image-size: 'big' is not a number");
  expect_error_line(run_cli("synth resnet18 -o x.onnx --seed -1"),
                    "--seed: '-1' is not a non-negative integer");
  expect_error_line(run_cli("synth resnet18 resnet50 -o x.onnx"), "unexpected argument 'resnet50'");
}

// No CLI11 internals leak out, whatever the mistake: no DBL_MAX bounds, no "Run with --help" second line.
TEST(CliErrors, NoCli11Internals) {
  for (const char* args : {"classify -m x -i y --batch 0", "classify -m x -i y --top 0",
                           "profile t.json --top -1", "bench -m x --runs 0", "compare a b --show -2",
                           "quantize -m a -o b --mode static --calib-count -1"}) {
    SCOPED_TRACE(args);
    auto r = run_cli(args);
    expect_usage_error(r, "must be >= ");
    EXPECT_LT(r.err.size(), 80u) << r.err;
    EXPECT_EQ(r.err.find("e+308"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Run with --help"), std::string::npos) << r.err;
  }
}

// Every command's errors go through the same path: a bad option is one line naming it, exit code 2; and
// every command's --help exits 0 with its usage on stdout.
TEST(CliErrors, EveryCommandBadOptionIsOneLine) {
  std::vector<std::string> cmds = commands();
  ASSERT_GE(cmds.size(), 14u);
  for (const std::string& c : cmds) {
    SCOPED_TRACE(c);
    auto r = run_cli(c + " --no-such-flag 1");
    expect_usage_error(r, "unknown option '--no-such-flag'");
    EXPECT_EQ(r.out, "");
    auto h = run_cli(c + " --help");
    EXPECT_EQ(h.exit_code, 0) << h.err;
    EXPECT_NE(h.out.find("Usage:"), std::string::npos) << h.out;
    EXPECT_EQ(h.err, "");
  }
  auto v = run_cli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("inr ", 0), 0u) << v.out;
  auto h = run_cli("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("classify"), std::string::npos);
}

// The help entry of `option` in `inr <cmd> --help`: its line, and the next one when the description wraps
// onto it ("  -k,--top INT:>=1   How many classes to print [default: 5]").
std::string help_line(const std::string& cmd, const std::string& option) {
  auto r = run_cli(cmd + " --help");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string names;
    words >> names;
    std::stringstream split(names);
    bool match = false;
    for (std::string n; std::getline(split, n, ',');) match = match || n == option;
    if (!match) continue;
    std::string next;
    if (std::getline(in, next) && next.rfind("        ", 0) == 0) line += next;
    return line;
  }
  ADD_FAILURE() << option << " not in " << cmd << " --help:\n" << r.out;
  return "";
}

TEST(CliHelp, DefaultsAreShown) {
  EXPECT_NE(help_line("classify", "--preset").find("[default: torchvision]"), std::string::npos);
  EXPECT_NE(help_line("classify", "--top").find("[default: 5]"), std::string::npos);
  EXPECT_NE(help_line("classify", "--opt-level").find("[default: 99]"), std::string::npos);
  EXPECT_NE(help_line("classify", "--backend").find("[default: auto]"), std::string::npos);
  EXPECT_NE(help_line("classify", "--threads").find("[default: OMP_NUM_THREADS, else all cores]"),
            std::string::npos);
  EXPECT_NE(help_line("eval", "--batch").find("[default: the model's fixed batch, else 16]"),
            std::string::npos);
  EXPECT_NE(help_line("eval", "--pipeline").find("[default: auto]"), std::string::npos);
  EXPECT_NE(help_line("bench", "--runs").find("[default: 50]"), std::string::npos);
  EXPECT_NE(help_line("bench", "--batch").find("[default: 1]"), std::string::npos);
  EXPECT_NE(help_line("quantize", "--calib").find("[default: minmax]"), std::string::npos);
  EXPECT_NE(help_line("quantize", "--format").find("[default: qdq]"), std::string::npos);
  EXPECT_NE(help_line("synth", "--batch").find("[default: dynamic]"), std::string::npos);
  EXPECT_NE(help_line("profile", "--top").find("[default: 15]"), std::string::npos);
  // A required option shows REQUIRED and no default; --mode, required unless --recipe, says so and has none.
  std::string model = help_line("quantize", "--model");
  EXPECT_NE(model.find("REQUIRED"), std::string::npos) << model;
  std::string mode = help_line("quantize", "--mode");
  EXPECT_NE(mode.find("required unless --recipe"), std::string::npos) << mode;
  EXPECT_EQ(mode.find("[default:"), std::string::npos) << mode;
}

}  // namespace
}  // namespace inr
