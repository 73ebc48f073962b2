// inr: Imagenet Runner command line. Subcommands are listed in commands.def.
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "cli_errors.h"
#include "command.h"
#include "help_format.h"
#include "core/cpu_tier.h"
#include "core/log.h"

namespace inr::cli {

#define INR_COMMAND(name) Command make_##name##_command(CLI::App& parent);
#include "commands.def"
#undef INR_COMMAND

int fail(const Status& status) {
  std::fprintf(stderr, "inr: error: %s\n", status.message().c_str());
  return 1;
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

std::string default_data_dir() {
  if (const char* d = std::getenv("INR_DATA_DIR")) return d;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  // Walk up from the binary looking for ../shared/data beside a checkout (build/ is inside the checkout).
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    fs::path candidate = p.parent_path() / "shared" / "data";
    if (fs::exists(candidate / "MANIFEST.md", ec)) return candidate.string();
  }
  return "";
}

}  // namespace inr::cli

namespace {

// libgomp's default waiting (spin ~300k iterations, then sleep) makes every oneDNN primitive stall whenever
// the other core is busy: on a shared 2-core machine inference got 2-5x slower under load. A short spin
// keeps quick hand-offs cheap on an idle machine and yields the core under load. 1000 (was 10000): with a
// busy second core, a thread that spins at a barrier holds the core its descheduled partner needs, and
// 10000 made MobileNetV2 at 2 threads 3.6-6.5x slower than 1000 (`bench/omp_wait.sh`, README "Threads"),
// while on an idle machine 1000 costs 0-5% (300: 3-22%, passive 9-76%). libgomp reads its environment when it is
// loaded, before main, so inr sets GOMP_SPINCOUNT and re-executes itself once, only when the user chose
// neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT (INR_NO_REEXEC=1 disables this).
constexpr const char* kGompSpinCount = "1000";

void set_openmp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT") || std::getenv("INR_NO_REEXEC")) return;
  ::setenv("GOMP_SPINCOUNT", kGompSpinCount, 1);
  ::setenv("INR_NO_REEXEC", "1", 1);
  ::execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with libgomp's defaults.
}

}  // namespace

// glibc serves blocks of 128 KiB and more from private mappings, but raises that threshold to the size of every
// mapped block freed (up to 32 MiB): after one model import freed its protobuf's weight payloads, a second
// import (`inr info` checking that the model runs, a session re-reading its weights for another input shape)
// parsed them into the heap, where freed blocks stay resident, and peaked at twice the weights. A fixed
// threshold (glibc's default value) keeps large blocks mapped, so freeing one returns it (issue #16).
constexpr int kMmapThresholdBytes = 128 * 1024;

int main(int argc, char** argv) {
  using namespace inr::cli;
  set_openmp_wait_policy(argv);
  ::mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  CLI::App app{"inr: run, quantize, evaluate, benchmark and trace ImageNet classifiers stored as ONNX"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("inr ") + INR_VERSION);
  // Every option shows its default in --help: subcommands copy both settings from the root when created.
  app.option_defaults()->always_capture_default();
  app.formatter(help_formatter());
  std::vector<Command> commands;
#define INR_COMMAND(name) commands.push_back(make_##name##_command(app));
#include "commands.def"
#undef INR_COMMAND
  // A bad INR_MAX_ISA / ONEDNN_MAX_CPU_ISA is a user error, not a silent "no cap"; so is a bad INR_LOG (the
  // level until a command's -d/--debug sets another).
  if (auto cap = inr::cpu_tier_cap(); !cap) return fail(cap.status());
  auto log = inr::log_level_from_env();
  if (!log) return fail(log.status());
  inr::set_log_level(*log);
  // Command-line errors: one line, exit code 2 (cli_errors.h).
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (auto msg = unknown_command(app, args)) {
    std::fprintf(stderr, "inr: error: %s\n", msg->c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "inr: error: %s\n", parse_error_message(app, e, args).c_str());
    return 2;
  }
  for (Command& c : commands)
    if (c.app->parsed()) {
      try {
        return c.run();
      } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "inr: error: out of memory\n");
        return 1;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "inr: error: %s\n", e.what());
        return 1;
      }
    }
  return 2;
}
