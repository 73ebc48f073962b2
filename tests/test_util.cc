#include "test_util.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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

}  // namespace inr::test
