// `inr report FILE.json... -o report.html [--title T] [--images DIR] [--labels FILE] [--thumbnails N]
//           [--top N] [--js-dir DIR]`
//
// One self-contained HTML page from the JSON inr writes (eval --json/--summary and --out journals, merge,
// compare, bench, profile): src/report/report.h says what it shows. The page inlines Vega, Vega-Lite and
// vega-embed, read at generation time from an npm node_modules folder (pinned by tools/report/package.json
// and package-lock.json; scripts/install-deps.sh runs `npm ci` there): --js-dir, else $INR_REPORT_JS_DIR,
// else tools/report/node_modules of the checkout this binary was built from, else of a checkout above the
// binary. Written atomically.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "cli_errors.h"
#include "command.h"
#include "core/file.h"
#include "report/report.h"

namespace inr::cli {

namespace {

namespace fs = std::filesystem;

// Where the bundles may be, in order (see the header comment).
std::vector<std::string> script_dirs(const std::string& flag) {
  if (!flag.empty()) return {flag};
  std::vector<std::string> out;
  if (const char* e = std::getenv("INR_REPORT_JS_DIR"); e && *e) out.push_back(e);
#ifdef INR_REPORT_NODE_MODULES
  out.push_back(INR_REPORT_NODE_MODULES);
#endif
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !ec && !p.empty() && p != p.root_path(); p = p.parent_path()) {
    fs::path candidate = p / "tools" / "report" / "node_modules";
    if (fs::exists(candidate, ec)) {
      out.push_back(candidate.string());
      break;
    }
  }
  return out;
}

}  // namespace

Command make_report_command(CLI::App& parent) {
  struct Flags {
    std::vector<std::string> files;
    std::string out, js_dir;
    report::Options options;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand(
      "report", "Write one self-contained HTML page (charts, tables, flipped images) from inr's JSON outputs");
  c.app->add_option("files", f->files,
                    "JSON from eval --json/--summary, eval --out journals, merge, compare, bench and profile --json")
      ->required();
  c.app->add_option("-o,--out", f->out, "The HTML file to write")->required();
  c.app->add_option("--title", f->options.title, "Page title")->capture_default_str();
  c.app->add_option("--images", f->options.image_roots,
                    "Folder (or list file) the flipped images' keys are relative to; tried before the dataset roots "
                    "the inputs record (repeatable)")
      ->allow_extra_args(false);
  c.app->add_option("--labels", f->options.labels, "Class names, one per line")
      ->default_str("the built-in ImageNet-1k names");
  c.app->add_option("--thumbnails", f->options.max_thumbnails, "Flipped images shown as thumbnails per comparison")
      ->check(at_least(0))
      ->capture_default_str();
  c.app->add_option("--top", f->options.top_nodes, "Nodes in the time-by-layer charts")
      ->check(at_least(1))
      ->capture_default_str();
  c.app->add_option("--js-dir", f->js_dir, "node_modules folder holding vega, vega-lite and vega-embed")
      ->default_str("$INR_REPORT_JS_DIR, else tools/report/node_modules of the checkout");
  c.run = [f] {
    if (Status st = check_output_path(f->out); !st) return fail(st);  // before the work (issue #16)
    const auto t0 = std::chrono::steady_clock::now();
    report::Stats stats;
    auto html = report::generate(f->files, script_dirs(f->js_dir), f->options, &stats);
    if (!html) return fail(html.status());
    Status st = write_file_atomic(f->out, *html);
    if (!st) return fail(st);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (stats.missing_images)
      std::fprintf(stderr, "inr: warning: %d flipped image%s not found under the dataset roots (give --images DIR)\n",
                   stats.missing_images, stats.missing_images == 1 ? "" : "s");
    std::printf("wrote %s: %.2f MiB, %zu sections, %d charts, %d thumbnails, in %.3f s\n", f->out.c_str(),
                static_cast<double>(html->size()) / (1024.0 * 1024.0), stats.sections.size(), stats.charts,
                stats.thumbnails, seconds);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
