// `inr merge preds-1.jsonl preds-2.jsonl ... [--json] [-o merged.jsonl] [--summary FILE]`
//
// Totals of several `inr eval --out` journals (the shards of one run): the same images / failed / top-1 /
// top-5 / intervals as one unsharded run, because eval's summary is computed from the journal lines alone.
// A path in two files is an error (overlapping shards); a torn last line (a killed shard) is dropped with a
// note — resume that shard first for complete totals. -o writes the merged lines sorted by path, atomically.
// Throughput is not in the journals (only per-image inference ms), so merge reports "inference_ms".
#include <cstdio>

#include "command.h"
#include "core/file.h"
#include "eval_common.h"

namespace inr::cli {

Command make_merge_command(CLI::App& parent) {
  struct Flags {
    std::vector<std::string> files;
    std::string out, summary;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("merge", "Combine the prediction journals of sharded eval runs into one summary");
  c.app->add_option("files", f->files, "Prediction files written by inr eval --out")->required();
  c.app->add_option("-o,--out", f->out, "Write the merged predictions (sorted by path) to this file");
  c.app->add_option("--summary", f->summary, "Also write the JSON summary to this file");
  c.app->add_flag("--json", f->json, "Print the summary as one JSON object");
  c.run = [f] {
    std::vector<data::PredictionsFile> files;
    for (const std::string& path : f->files) {
      auto pf = data::read_predictions(path);
      if (!pf) return fail(pf.status());
      if (pf->dropped_torn_tail)
        std::fprintf(stderr, "inr: note: %s: dropped a torn last line (an interrupted run; --resume it)\n",
                     path.c_str());
      files.push_back(std::move(*pf));
    }
    auto merged = data::merge_predictions(files, f->files);
    if (!merged) return fail(merged.status());
    data::Summary s = data::summarize(*merged);
    nlohmann::json j = summary_json(s);
    j["files"] = f->files.size();
    nlohmann::json failures = nlohmann::json::array();
    for (const data::Prediction& p : *merged)
      if (p.failed()) failures.push_back(p.path);
    j["failures"] = failures;
    if (!f->out.empty()) {
      std::string text;
      for (const data::Prediction& p : *merged) text += data::to_jsonl(p);
      Status st = write_file_atomic(f->out, text);
      if (!st) return fail(st);
    }
    if (!f->summary.empty()) {
      Status st = write_file_atomic(f->summary, j.dump(2) + "\n");
      if (!st) return fail(st);
    }
    if (f->json) {
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("files       %zu\n", f->files.size());
      std::printf("%s", summary_text(s).c_str());
      for (const data::Prediction& p : *merged)
        if (p.failed()) std::printf("failed      %s\n", p.error.c_str());
    }
    return 0;
  };
  return c;
}

}  // namespace inr::cli
