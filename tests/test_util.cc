#include "test_util.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "inr/session.h"

namespace inr::test {

namespace fs = std::filesystem;

std::string source_dir() { return INR_SOURCE_DIR; }
std::string cli_path() { return INR_CLI_PATH; }

std::string data_dir() {
  if (const char* d = std::getenv("INR_DATA_DIR")) return d;
  return (fs::path(INR_SOURCE_DIR) / ".." / "shared" / "data").lexically_normal().string();
}

bool has_data() { return fs::exists(fs::path(data_dir()) / "MANIFEST.md"); }

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliResult run_shell(const std::string& command) {
  static int counter = 0;
  std::string base = temp_dir("shell") + "/" + std::to_string(counter++);
  std::string full = "(" + command + ") >" + base + ".out 2>" + base + ".err </dev/null";
  int status = std::system(full.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

CliResult run_cli(const std::string& args) { return run_shell(cli_path() + " " + args); }

std::string temp_dir(const std::string& tag) {
  static std::string root = [] {
    std::string tmpl = (fs::path(INR_BINARY_DIR) / "test-tmp-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    std::string r = ::mkdtemp(buf.data());
    std::atexit([] {});
    return r;
  }();
  struct Cleaner {
    ~Cleaner() {
      std::error_code ec;
      fs::remove_all(root, ec);
    }
  };
  static Cleaner cleaner;
  fs::path p = fs::path(root) / tag;
  fs::create_directories(p);
  return p.string();
}

Tensor random_f32(const Shape& shape, uint32_t seed, float lo, float hi) {
  Tensor t = Tensor::empty(DType::kF32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.span<float>()) v = dist(rng);
  return t;
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

void expect_one_line_error(const CliResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("inr: error:", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
}

int count_op(const Graph& g, Op op) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->op == op;
  return n;
}

std::vector<Tensor> run_graph(std::unique_ptr<Graph> g, std::span<const Tensor> inputs, int opt_level,
                              const std::string& backend) {
  SessionOptions o;
  o.backend = backend;
  o.opt_level = opt_level;
  auto s = Session::create(std::move(g), o);
  if (!s.is_ok()) {
    ADD_FAILURE() << s.status().message();
    return {};
  }
  auto out = (*s)->run(inputs);
  if (!out.is_ok()) {
    ADD_FAILURE() << out.status().message();
    return {};
  }
  return *out;
}

}  // namespace inr::test
