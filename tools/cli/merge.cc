// `inr merge preds-1.jsonl preds-2.jsonl ... [--json] [-o merged.jsonl] [--summary FILE]`
//
// Totals of several `inr eval --out` journals (the shards of one run): the same images / failed / top-1 /
// top-5 / intervals as one unsharded run, because eval's summary is computed from the journal lines alone.
// Every journal's header (tools/cli/provenance.h) must say the same model (sha256), preprocessing and
// dataset selection; mixing fp32 and int8 shards, or two presets, is an error. With sharded journals
// ("dataset.shard" K/N), every shard 1..N must be there exactly once and complete (as many images as
// shard K of the selection has): a missing, repeated or incomplete shard is an error naming it, unless
// --partial is given (then a warning, and the totals cover what is there). An image in two files is an
// error (overlapping shards); a torn last line (a killed shard) is dropped with a note — resume that
// shard first. -o writes a journal with the common header and the lines sorted by image, atomically.
// Throughput is not in the journals (only per-image inference ms), so merge reports "inference_ms".
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command.h"
#include "core/file.h"
#include "eval_common.h"
#include "drivers/provenance.h"

namespace inr::cli {

namespace {

// "" when the files are one complete set of shards (or unsharded), else what is wrong.
Result<std::string> check_shards(const std::vector<data::PredictionsFile>& files, const std::vector<std::string>& names) {
  int count = 0;
  std::map<int, std::string> seen;  // shard index -> file
  std::vector<std::string> problems;
  for (size_t i = 0; i < files.size(); ++i) {
    const nlohmann::json& d = files[i].header.value("dataset", nlohmann::json::object());
    std::string text = d.value("shard", "");
    if (text.empty()) {
      if (files.size() > 1) return error("{} is not a shard (no --shard), but several files were given", names[i]);
      continue;
    }
    INR_ASSIGN_OR_RETURN(data::Shard shard, data::parse_shard(text));
    if (count == 0) count = shard.count;
    if (shard.count != count)
      return error("{} is shard {} of {}, but an earlier file is one of {}", names[i], shard.index, shard.count, count);
    auto [it, inserted] = seen.emplace(shard.index, names[i]);
    if (!inserted) return error("shard {} is given twice: {} and {}", text, it->second, names[i]);
    auto [b, e] = data::shard_range(static_cast<size_t>(d.value("images", int64_t{0})), shard);
    if (files[i].predictions.size() != e - b)
      problems.push_back(fmt::format("shard {} ({}) has {} of its {} images (interrupted? --resume it)", text,
                                     names[i], files[i].predictions.size(), e - b));
  }
  std::vector<std::string> missing;
  for (int k = 1; k <= count; ++k)
    if (!seen.count(k)) missing.push_back(fmt::format("{}/{}", k, count));
  if (!missing.empty())
    problems.insert(problems.begin(), fmt::format("missing shard{} {}", missing.size() == 1 ? "" : "s",
                                                  fmt::format("{}", fmt::join(missing, ", "))));
  return fmt::format("{}", fmt::join(problems, "; "));
}

}  // namespace

Command make_merge_command(CLI::App& parent) {
  struct Flags {
    std::vector<std::string> files;
    std::string out, summary;
    bool json = false;
    bool partial = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("merge", "Combine the prediction journals of sharded eval runs into one summary");
  c.app->add_option("files", f->files, "Prediction files written by inr eval --out")->required();
  c.app->add_option("-o,--out", f->out, "Write the merged predictions (sorted by path) to this file");
  c.app->add_option("--summary", f->summary, "Also write the JSON summary to this file");
  c.app->add_flag("--json", f->json, "Print the summary as one JSON object");
  c.app->add_flag("--partial", f->partial, "Merge even when shards are missing or incomplete (with a warning)");
  c.run = [f] {
    for (const std::string* out : {&f->out, &f->summary})
      if (Status st = check_output_path(*out); !st) return fail(st);
    std::vector<data::PredictionsFile> files;
    for (const std::string& path : f->files) {
      auto pf = data::read_predictions(path);
      if (!pf) return fail(pf.status());
      if (pf->dropped_torn_tail)
        std::fprintf(stderr, "inr: note: %s: dropped a torn last line (an interrupted run; --resume it)\n",
                     path.c_str());
      files.push_back(std::move(*pf));
    }
    // One run: the same model, preprocessing and dataset selection in every file.
    for (size_t i = 0; i < files.size(); ++i) {
      Status st = check_schema(files[i].header, kEvalJournalSchema, 1, f->files[i]);
      if (!st) return fail(st);
      if (i > 0) {
        st = check_same_run(files[0].header, f->files[0], files[i].header, f->files[i]);
        if (!st) return fail(error("cannot merge: {}", st.message()));
      }
    }
    const nlohmann::json& first = files[0].header;
    auto shards = check_shards(files, f->files);
    if (!shards) return fail(shards.status());
    if (!shards->empty()) {
      if (!f->partial) return fail(error("{} (--partial merges what is there)", *shards));
      std::fprintf(stderr, "inr: warning: %s; the totals cover only the images present\n", shards->c_str());
    }
    auto merged = data::merge_predictions(files, f->files);
    if (!merged) return fail(merged.status());
    data::Summary s = data::summarize(*merged);
    if (s.images == 0) {  // like eval: all-failed journals are an error, not a 0/0 table (issue #16)
      std::string first;
      for (const data::Prediction& p : *merged)
        if (p.failed()) {
          first = p.path;
          break;
        }
      return fail(error("no image could be scored: all {} failed{}", s.failed,
                        first.empty() ? std::string() : " (first: " + first + ")"));
    }
    nlohmann::json j = provenance_base(kMergeSummarySchema, 1, first.value("threads", 0));
    j.erase("threads");  // the shards' threads differ; each journal keeps its own
    for (const char* k : {"model", "preprocess", "dataset"})
      if (first.contains(k)) j[k] = first[k];
    if (j.contains("dataset") && j["dataset"].is_object()) j["dataset"].erase("shard");
    j["complete"] = shards->empty();
    j.update(summary_json(s));
    j["files"] = f->files.size();
    nlohmann::json failures = nlohmann::json::array();
    for (const data::Prediction& p : *merged)
      if (p.failed()) failures.push_back(p.path);
    j["failures"] = failures;
    if (!f->out.empty()) {
      nlohmann::json header = first;
      if (header["dataset"].is_object()) header["dataset"].erase("shard");
      std::string text = data::json_line(header);
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
