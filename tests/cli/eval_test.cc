// End-to-end tests of `inr eval`, `inr merge`, `inr compare` and `inr profile` on the real MobileNetV2
// and the staged ImageNet images: accuracy against ORT's reference, shard + merge, resume after SIGKILL,
// the trace, every dataset layout, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "inr/eval.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run_cli;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
std::string int8_model() { return test::data_dir() + "/models/mobilenetv2-12-int8.onnx"; }
std::string labels_tsv() { return test::data_dir() + "/imagenet/labels.tsv"; }
std::string reference_tsv() {
  return test::data_dir() + "/reference/mobilenetv2-12-int8-dequant-fp32_imagenet_top5.tsv";
}
// Two inference threads (the target machine) and one decode thread, everywhere.
const std::string kThreads = " --threads 2 --decode-threads 1 ";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// The per-image records of a journal: its lines without the header (the line with "schema").
std::vector<std::string> records_of(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& l : lines_of(text))
    if (!json::parse(l).contains("schema")) out.push_back(l);
  return out;
}

// path -> the line without its timing ("ms" depends on the run), as canonical JSON. Fails on duplicates.
std::map<std::string, std::string> keyed_lines(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const std::string& l : records_of(slurp(path))) {
    json j = json::parse(l);
    j.erase("ms");
    std::string key = j["image"].get<std::string>();
    EXPECT_TRUE(out.emplace(key, j.dump()).second) << "duplicate line for " << key << " in " << path;
  }
  return out;
}

using test::expect_one_line_error;

struct RefCounts {
  int images = 0, top1 = 0, top5 = 0;
};

// Top-1 / top-5 counts of ORT's reference file, over the rows whose path starts with `prefix`.
RefCounts reference_counts(const std::string& prefix = "") {
  RefCounts c;
  std::ifstream in(reference_tsv());
  for (std::string line; std::getline(in, line);) {
    std::stringstream ss(line);
    std::string path, label, top;
    std::getline(ss, path, '\t');
    std::getline(ss, label, '\t');
    std::getline(ss, top, '\t');
    if (path.empty() || path.rfind(prefix, 0) != 0) continue;
    std::vector<std::string> idx;
    std::stringstream ts(top);
    for (std::string t; std::getline(ts, t, ',');) idx.push_back(t);
    ++c.images;
    c.top1 += !idx.empty() && idx[0] == label;
    c.top5 += std::find(idx.begin(), idx.begin() + std::min<size_t>(5, idx.size()), label) != idx.end();
  }
  return c;
}

// Counts from an eval journal, over paths starting with `prefix`.
RefCounts journal_counts(const std::string& path, const std::string& prefix) {
  RefCounts c;
  for (const std::string& l : records_of(slurp(path))) {
    json j = json::parse(l);
    if (j["image"].get<std::string>().rfind(prefix, 0) != 0 || j.contains("error")) continue;
    std::vector<int> top = j["top"].get<std::vector<int>>();
    int label = j["label"].get<int>();
    ++c.images;
    c.top1 += top[0] == label;
    c.top5 += std::find(top.begin(), top.end(), label) != top.end();
  }
  return c;
}

// The whole labels.tsv once: accuracy against ORT, the journal's shape, the subsets against MANIFEST.md, and
// `inr compare` of the journal against ORT's file (no inference needed for that part).
TEST(Eval, Fp32MobileNetV2MatchesOrtReference) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_full");
  std::string out = dir + "/preds.jsonl";
  auto r = run_cli("eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads + "--json --out " + out +
                   " --summary " + dir + "/summary.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no progress bar when stderr is not a terminal, no warnings
  json j = json::parse(r.out);
  RefCounts ref = reference_counts();
  ASSERT_EQ(ref.images, 1166);
  EXPECT_EQ(j["images"], 1166);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_NEAR(j["top1_count"].get<int>(), ref.top1, 2) << "ORT top-1 " << ref.top1;
  EXPECT_NEAR(j["top5_count"].get<int>(), ref.top5, 2) << "ORT top-5 " << ref.top5;
  EXPECT_NEAR(j["top1"].get<double>(), j["top1_count"].get<double>() / 1166.0, 1e-12);
  EXPECT_LT(j["top1_ci"][0].get<double>(), j["top1"].get<double>());
  EXPECT_GT(j["top1_ci"][1].get<double>(), j["top1"].get<double>());
  EXPECT_GT(j["images_per_s"].get<double>(), 0.0);
  EXPECT_EQ(json::parse(slurp(dir + "/summary.json"))["top1_count"], j["top1_count"]);

  // One line per image, the documented fields.
  // A header saying what made the file, then one line per image, the documented fields.
  std::vector<std::string> all_lines = lines_of(slurp(out));
  ASSERT_EQ(all_lines.size(), 1167u);
  json header = json::parse(all_lines[0]);
  EXPECT_EQ(header["schema"]["name"], "inr.eval.journal");
  EXPECT_EQ(header["model"]["sha256"], "7c5d4aca72978a5a05ea29c36b30c6bba4bf3837bdf24d0913faa1c6ea68f144");
  EXPECT_EQ(header["preprocess"]["preset"], "torchvision");
  EXPECT_EQ(header["dataset"]["images"], 1166);
  EXPECT_EQ(header["threads"], 2);
  EXPECT_EQ(j["threads"], 2);  // the threads used, never 0
  EXPECT_EQ(j["schema"]["name"], "inr.eval.summary");
  EXPECT_EQ(j["model"], header["model"]);
  std::vector<std::string> lines = records_of(slurp(out));
  ASSERT_EQ(lines.size(), 1166u);
  json first = json::parse(lines[0]);
  EXPECT_EQ(first["image"], "samples/n01440764_tench.JPEG");  // sorted by path
  EXPECT_EQ(first["label"], 0);
  EXPECT_EQ(first["top"].size(), 5u);
  EXPECT_EQ(first["scores"].size(), 5u);
  EXPECT_GE(first["scores"][0].get<double>(), first["scores"][1].get<double>());
  EXPECT_GT(first["ms"].get<double>(), 0.0);
  EXPECT_EQ(keyed_lines(out).size(), 1166u);

  // The subsets, against the ORT file and MANIFEST.md (val 79.40/94.31, samples 85.50/97.50).
  for (const auto& [prefix, n, top1_pct, top5_pct] :
       {std::tuple{"val/", 966, 79.40, 94.31}, std::tuple{"samples/", 200, 85.50, 97.50}}) {
    SCOPED_TRACE(prefix);
    RefCounts mine = journal_counts(out, prefix), theirs = reference_counts(prefix);
    EXPECT_EQ(mine.images, n);
    EXPECT_NEAR(mine.top1, theirs.top1, 2);
    EXPECT_NEAR(mine.top5, theirs.top5, 2);
    EXPECT_NEAR(100.0 * theirs.top1 / n, top1_pct, 0.06);
    EXPECT_NEAR(100.0 * theirs.top5 / n, top5_pct, 0.06);
  }

  // inr vs ORT from the two prediction files: same images, near-total top-1 agreement.
  auto c = run_cli("compare " + out + " " + reference_tsv() + " --json");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  json cj = json::parse(c.out);
  EXPECT_EQ(cj["images"], 1166);
  EXPECT_EQ(cj["a"]["top1_count"], j["top1_count"]);
  EXPECT_EQ(cj["b"]["top1_count"], ref.top1);
  EXPECT_GE(cj["top1_agreement"].get<double>(), 0.98);
  const json& m = cj["top1_mcnemar"];
  EXPECT_EQ(cj["flips"].size(), m["a_only"].get<size_t>() + m["b_only"].get<size_t>());
  EXPECT_GE(m["p_value"].get<double>(), 0.0);
  EXPECT_LE(m["p_value"].get<double>(), 1.0);
  EXPECT_NEAR(m["delta"].get<double>(), cj["b"]["top1"].get<double>() - cj["a"]["top1"].get<double>(), 1e-12);
  auto text = run_cli("compare " + out + " " + reference_tsv());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("McNemar"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("p = "), std::string::npos) << text.out;
}

TEST(Eval, ShardsMergeToTheUnshardedRun) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_shards");
  const std::string common = "eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads + "--limit 100 --json ";
  auto whole = run_cli(common + "--out " + dir + "/all.jsonl");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  std::string shard_files;
  size_t shard_images = 0;
  for (int k = 1; k <= 3; ++k) {
    std::string f = dir + "/preds-" + std::to_string(k) + ".jsonl";
    auto r = run_cli(common + "--shard " + std::to_string(k) + "/3 --out " + f);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shard_images += json::parse(r.out)["images"].get<size_t>();
    shard_files += " " + f;
  }
  EXPECT_EQ(shard_images, 100u);  // no padding, no overlap
  auto merged = run_cli("merge" + shard_files + " --json -o " + dir + "/merged.jsonl");
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  json a = json::parse(whole.out), b = json::parse(merged.out);
  for (const char* key : {"images", "failed", "top1", "top5", "top1_ci", "top5_ci", "top1_count", "top5_count"})
    EXPECT_EQ(a[key], b[key]) << key;
  EXPECT_EQ(keyed_lines(dir + "/all.jsonl"), keyed_lines(dir + "/merged.jsonl"));
  EXPECT_EQ(b["schema"]["name"], "inr.merge.summary");
  EXPECT_EQ(b["complete"], true);
  EXPECT_EQ(b["model"], a["model"]);
  // A merged file is a journal of the whole selection: it merges again on its own.
  auto again = run_cli("merge " + dir + "/merged.jsonl --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["top1_count"], a["top1_count"]);
  // Overlapping, missing, incomplete and foreign shards are refused, each with one line.
  const std::string p1 = dir + "/preds-1.jsonl", p2 = dir + "/preds-2.jsonl", p3 = dir + "/preds-3.jsonl";
  expect_one_line_error(run_cli("merge " + p1 + " " + p1), "shard 1/3 is given twice");
  expect_one_line_error(run_cli("merge " + p1 + " " + p2), "missing shard 3/3 (--partial merges what is there)");
  auto partial = run_cli("merge " + p1 + " " + p2 + " --partial --json");
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_NE(partial.err.find("missing shard 3/3"), std::string::npos) << partial.err;
  EXPECT_EQ(json::parse(partial.out)["complete"], false);
  expect_one_line_error(run_cli("merge " + dir + "/all.jsonl " + p1), "is not a shard");
  std::string cut = dir + "/cut-3.jsonl";
  {
    std::vector<std::string> ls = lines_of(slurp(p3));
    std::ofstream o(cut, std::ios::binary);
    for (size_t i = 0; i + 1 < ls.size(); ++i) o << ls[i] << "\n";  // the last image is missing
  }
  expect_one_line_error(run_cli("merge " + p1 + " " + p2 + " " + cut), "shard 3/3 (" + cut + ") has 33 of its 34 images");
  auto int8 = run_cli("eval -m " + int8_model() + " --data " + labels_tsv() + kThreads +
                      "--limit 100 --shard 3/3 --out " + dir + "/int8-3.jsonl");
  ASSERT_EQ(int8.exit_code, 0) << int8.err;
  expect_one_line_error(run_cli("merge " + p1 + " " + p2 + " " + dir + "/int8-3.jsonl"),
                        "cannot merge: " + p1 + " was made by model");
}

TEST(Eval, ResumeAfterSigkillEqualsAnUninterruptedRun) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_resume");
  const std::string common = "eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads + "--limit 90 --batch 2 ";
  auto full = run_cli(common + "--json --out " + dir + "/full.jsonl");
  ASSERT_EQ(full.exit_code, 0) << full.err;

  // Start a run, SIGKILL it once it has written some lines, then resume it.
  std::string out = dir + "/killed.jsonl";
  std::string script = test::cli_path() + " " + common + "--out " + out + " >/dev/null 2>&1 & pid=$!; i=0; " +
                       "while [ \"$(cat " + out + " 2>/dev/null | wc -l)\" -lt 10 ] && [ $i -lt 6000 ]; do " +
                       "sleep 0.01; i=$((i+1)); done; kill -9 $pid; wait $pid; echo \"rc=$?\"; wc -l < " + out;
  auto killed = test::run_shell(script);
  ASSERT_NE(killed.out.find("rc=137"), std::string::npos) << "the run was not killed mid-way: " << killed.out;
  std::vector<std::string> parts = lines_of(killed.out);
  ASSERT_EQ(parts.size(), 2u) << killed.out;
  const int lines_at_kill = std::stoi(parts[1]);
  EXPECT_GE(lines_at_kill, 10);
  EXPECT_LT(lines_at_kill, 90) << "finished before the kill: not a mid-way kill";

  auto resumed = run_cli(common + "--json --resume --out " + out);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  json rj = json::parse(resumed.out), fj = json::parse(full.out);
  EXPECT_EQ(rj["resumed"].get<int>() + rj["evaluated_now"].get<int>(), 90);
  EXPECT_GE(rj["resumed"].get<int>(), 10);
  for (const char* key : {"images", "failed", "top1_count", "top5_count", "top1_ci", "top5_ci"})
    EXPECT_EQ(rj[key], fj[key]) << key;
  EXPECT_EQ(records_of(slurp(out)).size(), 90u);  // no duplicates, nothing lost
  EXPECT_EQ(keyed_lines(out), keyed_lines(dir + "/full.jsonl"));

  // A torn last line (a kill in the middle of a write) is dropped and redone.
  std::string torn = dir + "/torn.jsonl";
  std::string text = slurp(dir + "/full.jsonl");
  std::vector<std::string> ls = lines_of(text);
  std::string head;
  for (size_t i = 0; i < 41; ++i) head += ls[i] + "\n";  // the header and 40 images
  head += ls[41].substr(0, ls[41].size() / 2);
  std::ofstream(torn, std::ios::binary) << head;
  auto again = run_cli(common + "--json --resume --out " + torn);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("torn"), std::string::npos) << again.err;
  EXPECT_EQ(json::parse(again.out)["resumed"], 40);
  EXPECT_EQ(keyed_lines(torn), keyed_lines(dir + "/full.jsonl"));

  // Resuming a finished journal runs nothing and prints the same totals.
  auto done = run_cli(common + "--json --resume --out " + out);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(json::parse(done.out)["evaluated_now"], 0);
  EXPECT_EQ(json::parse(done.out)["top1_count"], fj["top1_count"]);
  // Without --resume an existing journal is refused, and left alone.
  expect_one_line_error(run_cli(common + "--out " + out), "--resume");
  EXPECT_EQ(records_of(slurp(out)).size(), 90u);
}

// Total nodes of "onednn: 56 nodes, reference: 3".
int placed_nodes(const std::string& placement) {
  int total = 0;
  std::regex re("(\\d+) nodes");
  for (std::sregex_iterator it(placement.begin(), placement.end(), re), end; it != end; ++it)
    total += std::stoi((*it)[1]);
  return total;
}

TEST(Eval, TraceHasOneNodeEventPerNodePerBatch) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_trace");
  const int kImages = 14, kBatch = 4, kBatches = 4;  // the last batch is short (2 images), still one run
  auto r = run_cli("eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads + "--limit " +
                   std::to_string(kImages) + " --batch " + std::to_string(kBatch) + " -t " + dir + "/trace.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json trace = json::parse(slurp(dir + "/trace.json"));  // throws (fails the test) if not JSON
  auto bench = run_cli("bench -m " + fp32_model() + " --batch " + std::to_string(kBatch) +
                       " --runs 1 --warmup 0 --threads 2 --json");
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  const int nodes = placed_nodes(json::parse(bench.out)["results"][0]["placement"].get<std::string>());
  ASSERT_GT(nodes, 50);

  std::vector<json> runs, node_events;
  int batches = 0, decodes = 0;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    if (e["cat"] == "run") runs.push_back(e);
    if (e["cat"] == "node") node_events.push_back(e);
    if (e["cat"] == "batch") {
      ++batches;
      EXPECT_EQ(e["tid"], 1);
    }
    if (e["cat"] == "decode") {
      ++decodes;
      EXPECT_EQ(e["tid"], 2);  // the loader's own track
    }
  }
  EXPECT_EQ(batches, kBatches);
  EXPECT_EQ(decodes, kBatches);
  ASSERT_EQ(runs.size(), static_cast<size_t>(kBatches));
  EXPECT_EQ(node_events.size(), static_cast<size_t>(nodes * kBatches));
  for (const json& run : runs) {
    const double t0 = run["ts"].get<double>(), t1 = t0 + run["dur"].get<double>();
    int inside = 0;
    for (const json& n : node_events) inside += n["ts"].get<double>() >= t0 && n["ts"].get<double>() <= t1;
    EXPECT_EQ(inside, nodes);
  }

  // inr profile reads it: shares add up to 100% of node time.
  auto p = run_cli("profile " + dir + "/trace.json --json");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  json pj = json::parse(p.out);
  EXPECT_EQ(pj["runs"], kBatches);
  double share = 0, ms = 0;
  for (const json& row : pj["by_op_type"]) {
    share += row["percent"].get<double>();
    ms += row["total_ms"].get<double>();
  }
  EXPECT_NEAR(share, 100.0, 1e-6);
  EXPECT_NEAR(ms, pj["node_ms"].get<double>(), 1e-6);
  EXPECT_LE(pj["node_ms"].get<double>(), pj["run_ms"].get<double>());
  bool has_conv = false;
  for (const json& row : pj["by_op_type"]) has_conv = has_conv || row["name"].get<std::string>().find("Conv") != std::string::npos;
  EXPECT_TRUE(has_conv) << p.out;
  auto text = run_cli("profile " + dir + "/trace.json --top 5");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("by op type"), std::string::npos);
  EXPECT_NE(text.out.find("by backend"), std::string::npos);
  EXPECT_NE(text.out.find("by node (top 5)"), std::string::npos);
}

TEST(Profile, NestedPhasesAreNotDoubleCounted) {
  std::string dir = test::temp_dir("profile_nested");
  // One run with two nodes; the Conv holds two nested phases (40 us) and the trace has a decode event on
  // another thread overlapping everything.
  std::ofstream(dir + "/t.json") << R"({"traceEvents": [
    {"name": "run", "cat": "run", "ph": "X", "ts": 0, "dur": 100, "pid": 1, "tid": 1},
    {"name": "conv1", "cat": "node", "ph": "X", "ts": 0, "dur": 60, "pid": 1, "tid": 1,
     "args": {"op_type": "Conv", "backend": "onednn"}},
    {"name": "reorder", "cat": "phase", "ph": "X", "ts": 5, "dur": 15, "pid": 1, "tid": 1},
    {"name": "gemm", "cat": "phase", "ph": "X", "ts": 20, "dur": 25, "pid": 1, "tid": 1},
    {"name": "relu1", "cat": "node", "ph": "X", "ts": 60, "dur": 30, "pid": 1, "tid": 1,
     "args": {"op_type": "Relu", "backend": "reference"}},
    {"name": "decode", "cat": "decode", "ph": "X", "ts": 0, "dur": 100, "pid": 1, "tid": 2},
    {"name": "thread_name", "ph": "M", "pid": 1, "tid": 2, "args": {"name": "loader"}}
  ]})";
  auto r = run_cli("profile " + dir + "/t.json --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["node_ms"].get<double>(), 0.090);
  EXPECT_DOUBLE_EQ(j["run_ms"].get<double>(), 0.100);
  ASSERT_EQ(j["by_op_type"].size(), 2u);
  EXPECT_EQ(j["by_op_type"][0]["name"], "Conv");
  EXPECT_NEAR(j["by_op_type"][0]["percent"].get<double>(), 100.0 * 60 / 90, 1e-9);
  EXPECT_EQ(j["by_backend"][1]["name"], "reference");
  ASSERT_EQ(j["phases"].size(), 2u);
  EXPECT_EQ(j["phases"][0]["name"], "gemm");
  expect_one_line_error(run_cli("profile " + dir + "/missing.json"), "missing.json");
  std::ofstream(dir + "/bad.json") << "{not json";
  expect_one_line_error(run_cli("profile " + dir + "/bad.json"), "not valid JSON");
}

// A few real images with their labels from labels.tsv (val images, so the flat layout can use the Caffe
// ground truth), plus the expected top-1 of each from a list-file run.
struct Picked {
  std::string file;  // basename
  std::string src;   // absolute path
  int label = 0;
  std::string wnid;
};
std::vector<Picked> pick_images(size_t n) {
  std::vector<Picked> out;
  std::ifstream in(labels_tsv());
  for (std::string line; std::getline(in, line) && out.size() < n;) {
    std::stringstream ss(line);
    std::string path, label, wnid;
    std::getline(ss, path, '\t');
    std::getline(ss, label, '\t');
    std::getline(ss, wnid, '\t');
    if (path.rfind("val/", 0) != 0) continue;
    out.push_back({fs::path(path).filename().string(), test::data_dir() + "/imagenet/" + path, std::stoi(label), wnid});
  }
  return out;
}

// basename -> {label, top-1} of a journal.
std::map<std::string, std::pair<int, int>> by_basename(const std::string& journal) {
  std::map<std::string, std::pair<int, int>> out;
  for (const std::string& l : records_of(slurp(journal))) {
    json j = json::parse(l);
    if (j.contains("error")) continue;
    out[fs::path(j["image"].get<std::string>()).filename().string()] = {j["label"].get<int>(), j["top"][0].get<int>()};
  }
  return out;
}

TEST(Eval, EveryDatasetLayout) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_layouts");
  std::vector<Picked> imgs = pick_images(6);
  ASSERT_EQ(imgs.size(), 6u);
  // The list layout: a list file in its own folder with paths relative to it (via a symlinked folder).
  fs::create_directories(dir + "/list/pics");
  std::ofstream list(dir + "/list/list.txt");
  for (const Picked& p : imgs) {
    fs::create_symlink(p.src, dir + "/list/pics/" + p.file);
    list << "pics/" << p.file << "\t" << p.label << "\t" << p.wnid << "\n";
    fs::create_directories(dir + "/wnid/" + p.wnid);
    fs::create_symlink(p.src, dir + "/wnid/" + p.wnid + "/" + p.file);
    fs::create_directories(dir + "/index/" + std::to_string(p.label));
    fs::create_symlink(p.src, dir + "/index/" + std::to_string(p.label) + "/" + p.file);
    fs::create_directories(dir + "/flat");
    fs::create_symlink(p.src, dir + "/flat/" + p.file);
  }
  list.close();
  const std::string common = "eval -m " + fp32_model() + kThreads + "--batch 4 --json ";
  auto ref = run_cli(common + "--data " + dir + "/list/list.txt --out " + dir + "/list.jsonl");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  EXPECT_EQ(json::parse(ref.out)["images"], 6);
  auto expected = by_basename(dir + "/list.jsonl");
  ASSERT_EQ(expected.size(), 6u);
  for (const Picked& p : imgs) EXPECT_EQ(expected[p.file].first, p.label);

  const std::string gt = test::data_dir() + "/labels/ILSVRC2012_val_ground_truth_caffe.txt";
  for (const auto& [name, args] : {std::pair{"wnid", "--data " + dir + "/wnid"},
                                   std::pair{"index", "--data " + dir + "/index"},
                                   std::pair{"flat", "--data " + dir + "/flat --ground-truth " + gt}}) {
    SCOPED_TRACE(name);
    std::string journal = dir + "/" + name + ".jsonl";
    auto r = run_cli(common + args + " --out " + journal);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["images"], 6);
    EXPECT_EQ(j["failed"], 0);
    EXPECT_EQ(j["top1_count"], json::parse(ref.out)["top1_count"]);
    EXPECT_EQ(by_basename(journal), expected);  // same labels, same predictions
    auto text = run_cli("eval -m " + fp32_model() + kThreads + args);
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("top-1"), std::string::npos);
    EXPECT_NE(text.out.find("images/s"), std::string::npos);
  }

  // The real flat ILSVRC val folder with the Caffe ground truth.
  auto val = run_cli(common + "--data " + test::data_dir() + "/imagenet/val --ground-truth " + gt + " --limit 8");
  ASSERT_EQ(val.exit_code, 0) << val.err;
  EXPECT_EQ(json::parse(val.out)["images"], 8);

  // An unreadable image is counted, listed and journaled, never dropped.
  fs::create_symlink(test::data_dir() + "/images/edge/truncated.jpg", dir + "/index/" + std::to_string(imgs[0].label) + "/zz_truncated.jpg");
  // By default a failed image fails the run (exit 1, the list in one line); --max-failures allows some.
  // (The warning for the image as it fails, then the error that ends the run.)
  auto strict = run_cli(common + "--data " + dir + "/index");
  EXPECT_EQ(strict.exit_code, 1);
  std::vector<std::string> err_lines = lines_of(strict.err);
  ASSERT_EQ(err_lines.size(), 2u) << strict.err;
  EXPECT_EQ(err_lines[0].rfind("inr: warning: ", 0), 0u) << strict.err;
  EXPECT_EQ(err_lines[1].rfind("inr: error: 1 image failed (--max-failures 0): ", 0), 0u) << strict.err;
  EXPECT_NE(err_lines[1].find("zz_truncated.jpg"), std::string::npos) << strict.err;
  auto bad = run_cli(common + "--data " + dir + "/index --max-failures 1 --out " + dir + "/bad.jsonl");
  ASSERT_EQ(bad.exit_code, 0) << bad.err;
  json bj = json::parse(bad.out);
  EXPECT_EQ(bj["images"], 6);
  EXPECT_EQ(bj["failed"], 1);
  ASSERT_EQ(bj["failures"].size(), 1u);
  EXPECT_NE(bj["failures"][0].get<std::string>().find("zz_truncated.jpg"), std::string::npos);
  EXPECT_NE(bad.err.find("zz_truncated.jpg"), std::string::npos) << bad.err;
  std::string journal = slurp(dir + "/bad.jsonl");
  EXPECT_EQ(records_of(journal).size(), 7u);
  EXPECT_NE(journal.find("\"error\""), std::string::npos);
  auto merged = run_cli("merge " + dir + "/bad.jsonl --json");
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(json::parse(merged.out)["failed"], 1);
}

TEST(Eval, FixedBatchModelNeedsItsBatch) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_fixed");
  std::string model = dir + "/r18_b1.onnx";
  ASSERT_EQ(run_cli("synth resnet18 --seed 2 --batch 1 -o " + model).exit_code, 0);
  expect_one_line_error(run_cli("eval -m " + model + " --data " + labels_tsv() + " --limit 2 --batch 4"),
                        "fixed batch of 1; use --batch 1");
  auto r = run_cli("eval -m " + model + " --data " + labels_tsv() + kThreads + "--limit 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["batch"], 1);
  EXPECT_EQ(json::parse(r.out)["images"], 2);
}

TEST(Compare, TwoModelsOnTheSameBatches) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("compare_models");
  // The same model under two backends: fp32 reference vs oneDNN agree on top-1 for real photos.
  auto r = run_cli("compare " + fp32_model() + " " + int8_model() + " --data " + labels_tsv() + kThreads +
                   "--limit 24 --json --flips " + dir + "/flips.tsv --out-a " + dir + "/a.jsonl");
  if (r.exit_code != 0 && r.err.find("unsupported") != std::string::npos)
    GTEST_SKIP() << "int8 model not runnable yet: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["images"], 24);
  EXPECT_EQ(j["a"]["images"], 24);
  EXPECT_EQ(j["b"]["images"], 24);
  EXPECT_GE(j["top1_agreement"].get<double>(), 0.75);  // fp32 vs int8 on real images
  const json& m = j["top1_mcnemar"];
  EXPECT_EQ(m["test"], "exact");  // few discordant pairs
  EXPECT_EQ(j["flips"].size(), m["a_only"].get<size_t>() + m["b_only"].get<size_t>());
  EXPECT_EQ(lines_of(slurp(dir + "/flips.tsv")).size(), j["flips"].size() + 1);  // + header
  EXPECT_EQ(lines_of(slurp(dir + "/a.jsonl")).size(), 24u);

  // A model against itself: full agreement, no flips, p = 1.
  auto same = run_cli("compare " + fp32_model() + " " + fp32_model() + " --data " + labels_tsv() + kThreads +
                      "--limit 8 --json");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  json sj = json::parse(same.out);
  EXPECT_EQ(sj["top1_agreement"], 1.0);
  EXPECT_EQ(sj["flips"].size(), 0u);
  EXPECT_EQ(sj["top1_mcnemar"]["p_value"], 1.0);
  expect_one_line_error(run_cli("compare " + fp32_model() + " " + fp32_model()), "--data");
}

TEST(Eval, ProgressBarOnlyOnATerminal) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  if (test::run_shell("command -v script").exit_code != 0) GTEST_SKIP() << "util-linux 'script' not installed";
  // script(1) gives the command a pseudo-terminal; stdout and stderr both land in the typescript.
  const std::string cmd = test::cli_path() + " eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads +
                          "--limit 6 --batch 2";
  auto tty = test::run_shell("script -qec '" + cmd + "' /dev/null");
  ASSERT_EQ(tty.exit_code, 0) << tty.out << tty.err;
  EXPECT_NE(tty.out.find("6/6"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("ETA"), std::string::npos) << tty.out;
  auto piped = run_cli(cmd.substr(test::cli_path().size() + 1));
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err, "");
}

// --sample N --seed S: a class-balanced random subset, the same for the same seed, recorded in the outputs.
TEST(Eval, SampleIsClassBalancedAndSeeded) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_sample");
  const std::string base = "eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads + "--sample 40 ";
  auto a = run_cli(base + "--seed 5 --json --out " + dir + "/a.jsonl");
  auto b = run_cli(base + "--seed 5 --json --out " + dir + "/b.jsonl");
  auto c = run_cli(base + "--seed 6 --json --out " + dir + "/c.jsonl");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(json::parse(a.out)["images"], 40);
  EXPECT_EQ(json::parse(a.out)["dataset"]["sample"], 40);
  EXPECT_EQ(json::parse(a.out)["dataset"]["seed"], 5);
  auto ka = keyed_lines(dir + "/a.jsonl"), kb = keyed_lines(dir + "/b.jsonl"), kc = keyed_lines(dir + "/c.jsonl");
  EXPECT_EQ(ka, kb);
  EXPECT_NE(ka, kc);
  std::set<int> labels;
  bool val = false, samples = false;
  for (const auto& [key, line] : ka) {
    labels.insert(json::parse(line)["label"].get<int>());
    val = val || key.rfind("val/", 0) == 0;
    samples = samples || key.rfind("samples/", 0) == 0;
  }
  EXPECT_EQ(labels.size(), 40u);  // 40 images from 40 classes, not the first 40 paths (all one folder)
  EXPECT_TRUE(val && samples);
  // Another seed is another selection: its journal is not resumed.
  expect_one_line_error(run_cli(base + "--seed 6 --resume --out " + dir + "/a.jsonl"), "covers dataset");
  expect_one_line_error(run_cli(base + "--limit 10"), "--limit and --sample are alternatives");
}

// The library call behind `inr eval` (include/inr/eval.h) gives the CLI's numbers, and reports progress and
// failures through its callbacks instead of printing.
TEST(Eval, LibraryEvaluateEqualsTheCli) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto cli = run_cli("eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads + "--limit 12 --batch 4 --json");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EvalOptions o;
  o.model = fp32_model();
  o.session.threads = 2;
  o.dataset.data = labels_tsv();
  o.dataset.limit = 12;
  o.batch = 4;
  o.decode_threads = 1;
  std::vector<std::pair<size_t, size_t>> progress;
  o.progress = [&](size_t done, size_t total) { progress.emplace_back(done, total); };
  auto r = evaluate(o);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->verdict.is_ok());
  json c = json::parse(cli.out);
  for (const char* key : {"schema", "model", "preprocess", "dataset", "images", "failed", "top1_count", "top5_count",
                          "top1_ci", "top5_ci", "batch", "threads"})
    EXPECT_EQ(r->summary[key], c[key]) << key;
  ASSERT_EQ(progress.size(), 3u);  // one call per batch of 4
  EXPECT_EQ(progress.back(), (std::pair<size_t, size_t>{12, 12}));
  // A bad request is a Status, not an exit.
  o.dataset.data = "/nonexistent";
  EXPECT_FALSE(evaluate(o).is_ok());
}

TEST(Eval, BadInputIsOneLine) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string dir = test::temp_dir("eval_bad");
  const std::string m = "eval -m " + fp32_model();
  expect_one_line_error(run_cli(m + " --data /nonexistent/val"), "/nonexistent/val");
  expect_one_line_error(run_cli(m + " --data " + labels_tsv() + " --resume"), "--resume needs --out");
  expect_one_line_error(run_cli(m + " --data " + labels_tsv() + " --shard 0/3"), "1-based");
  expect_one_line_error(run_cli(m + " --data " + test::data_dir() + "/imagenet/val"), "--ground-truth");
  std::ofstream(dir + "/list.txt") << "a.jpg one\n";
  expect_one_line_error(run_cli(m + " --data " + dir + "/list.txt"), "list.txt:1");
  // A journal from another dataset selection, model or preset is not resumed into this one.
  const std::string two = " --data " + labels_tsv() + kThreads + "--limit 2 --out " + dir + "/two.jsonl";
  ASSERT_EQ(run_cli(m + two).exit_code, 0);
  const std::string before = slurp(dir + "/two.jsonl");
  expect_one_line_error(run_cli(m + " --data " + labels_tsv() + kThreads + "--limit 4 --resume --out " + dir +
                                "/two.jsonl"),
                        "cannot --resume: " + dir + "/two.jsonl covers dataset images 2, this run has 4");
  expect_one_line_error(run_cli("eval -m " + int8_model() + two + " --resume"), "was made by model");
  expect_one_line_error(run_cli(m + two + " --resume -p mxnet"), "was preprocessed with");
  expect_one_line_error(run_cli(m + two + " --resume --shard 1/2"), "shard");
  EXPECT_EQ(slurp(dir + "/two.jsonl"), before);  // refused runs leave the journal alone
  // A journal without a header (an older inr) is refused too.
  std::ofstream(dir + "/old.jsonl") << R"({"path": "elsewhere.jpg", "label": 1, "top": [1], "scores": [1], "ms": 1})"
                                    << "\n";
  expect_one_line_error(run_cli(m + " --data " + labels_tsv() + " --limit 4 --resume --out " + dir + "/old.jsonl"),
                        "no header line");
}

}  // namespace
}  // namespace inr
