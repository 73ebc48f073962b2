// End-to-end tests of `inr report`: pages built from real eval / compare / bench / profile / quantize JSON made here
// with the real MobileNetV2 on a dozen staged images, checked for content (the numbers of the inputs),
// self-containment (no network reference, size) and, in Debian's headless Chromium, for rendering: every
// chart drawn as SVG, no console message, and a screenshot in which every section and chart is not blank.
//
// Skips (with the reason): no shared data; no tools/report/node_modules (scripts/install-deps.sh runs
// npm ci there); no chromium (scripts/install-deps.sh installs it) for the rendering test; and, while the
// compare / bench of this build predate the N-model compare and the extended bench (no "schema", no
// --latency-runs / --per-op), the compare / bench content tests (the rendering test then goes without them).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "image/image.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run_cli;
using test::run_shell;

// The report must stay small enough to mail and open at once (the issue's budget).
constexpr size_t kMaxReportBytes = 2 * 1000 * 1000;
// Headless Chromium: virtual time for the asynchronous vega-embed render, and a wall-clock guard.
constexpr int kChromiumVirtualMs = 10000;
constexpr int kChromiumTimeoutS = 60;
constexpr int kPageWidth = 1280;
// A chart is drawn when its box holds at least this many saturated (mark-coloured) pixels; a section is
// not blank when its box has at least this many distinct colours.
constexpr int kMinMarkPixels = 40;
constexpr int kMinSectionColours = 3;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

bool have_report_js() {
  return fs::exists(test::source_dir() + "/tools/report/node_modules/vega-embed/build/vega-embed.min.js");
}

std::string chromium_path() {
  test::CliResult r = run_shell("command -v chromium");
  std::string p = r.out.substr(0, r.out.find('\n'));
  return r.exit_code == 0 && !p.empty() ? p : "";
}

// The JSON element with id="inr-report-data" of a page.
json report_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"inr-report-data\">";
  size_t a = html.find(open);
  if (a == std::string::npos) return json();
  a += open.size();
  return json::parse(html.substr(a, html.find("</script>", a) - a));
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + needle.size())) ++n;
  return n;
}

// Fails the test when the page names anything on the network or outside itself.
void expect_self_contained(const std::string& html) {
  EXPECT_LT(html.size(), kMaxReportBytes);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(html, m, std::regex(R"((src|href)\s*=\s*["']?\s*(https?:|//))", std::regex::icase)))
      << m.str();
  EXPECT_FALSE(std::regex_search(html, m, std::regex(R"(<link\b|<iframe\b|@import)", std::regex::icase))) << m.str();
  EXPECT_EQ(count_of(html, "<script src"), 0u);
  EXPECT_NE(html.find("vegaEmbed"), std::string::npos);  // the bundles are inlined, not referenced
}

// The inputs, made once per test process with the real models on twelve staged images: five where fp32
// and int8 MobileNetV2 disagree on top-1 correctness (found with a 100-image compare) and seven others.
class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found";
    if (!have_report_js())
      GTEST_SKIP() << "tools/report/node_modules is missing (scripts/install-deps.sh runs npm ci there)";
    dir_ = test::temp_dir("report_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  }

  std::string fp32() const { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
  std::string int8() const { return test::data_dir() + "/models/mobilenetv2-12-int8.onnx"; }

  // A list file of twelve images, relative to the list (links in imgs/ to the staged files; labels from
  // labels.tsv), so that a JSON's keys are found only through its dataset root or --images.
  std::string list_file() {
    const std::string path = dir_ + "/twelve.tsv";
    if (fs::exists(path)) return path;
    const std::vector<std::string> flips = {"n02090721_Irish_wolfhound", "n02093428_American_Staffordshire_terrier",
                                            "n02114548_white_wolf", "n02236044_mantis", "n02504013_Indian_elephant"};
    fs::create_directories(dir_ + "/imgs");
    std::ifstream in(test::data_dir() + "/imagenet/labels.tsv");
    std::string out, line;
    int flipped = 0, others = 0;
    while (std::getline(in, line)) {
      bool is_flip = false;
      for (const std::string& f : flips) is_flip = is_flip || line.find(f) != std::string::npos;
      const bool take = is_flip || (line.rfind("val/", 0) == 0 && others < 7);
      if (!take) continue;
      (is_flip ? flipped : others)++;
      const std::string rel = line.substr(0, line.find('\t'));
      const std::string name = fs::path(rel).filename().string();
      fs::create_symlink(test::data_dir() + "/imagenet/" + rel, dir_ + "/imgs/" + name);
      out += "imgs/" + name + line.substr(rel.size()) + "\n";
    }
    EXPECT_EQ(flipped, 5);
    spit(path, out);
    return path;
  }

  // eval --summary, --out journal and -t trace of the fp32 model, and the profile of that trace.
  void make_eval() {
    if (!summary_.empty()) return;
    summary_ = dir_ + "/eval.json";
    journal_ = dir_ + "/eval.jsonl";
    const std::string trace = dir_ + "/trace.json";
    auto r = run_cli("eval -m " + fp32() + " --data " + list_file() + " --batch 4 --threads 2 --decode-threads 1 --out " +
                     journal_ + " --summary " + summary_ + " -t " + trace);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    profile_ = dir_ + "/profile.json";
    r = run_cli("profile " + trace + " --json > " + profile_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Runs an inr command that prints JSON into `path`; "" when this build's command predates what the test
  // needs (an option it does not know, or JSON without a "schema"), a test failure for any other error.
  std::string make_json(const std::string& args, const std::string& path) {
    auto r = run_cli(args + " > " + path);
    if (r.exit_code != 0 && r.err.find("unknown option") != std::string::npos) return "";
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(slurp(path), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args;
    return j.is_object() && j.contains("schema") ? path : "";
  }

  // compare --json of fp32 vs int8 (with latency); "" before the N-model compare (schema, --latency-runs).
  std::string make_compare() {
    return make_json("compare " + fp32() + " " + int8() + " --data " + list_file() +
                         " --threads 2 --latency-runs 3 --latency-warmup 1 --json",
                     dir_ + "/compare.json");
  }

  // bench --per-op --json of int8 at batches 1 and 2; "" before the extended bench (schema, --per-op).
  std::string make_bench() {
    return make_json("bench -m " + int8() + " --batch 1,2 --runs 3 --warmup 1 --threads 2 --per-op --json",
                     dir_ + "/bench.json");
  }

  // quantize --json of the fp32 model, static int8 calibrated on four of the images.
  std::string make_quantize() {
    const std::string path = dir_ + "/quantize.json";
    if (fs::exists(path)) return path;
    auto r = run_cli("quantize -m " + fp32() + " -o " + dir_ + "/static.onnx --mode static --calib-data " + list_file() +
                     " --calib-count 4 --json > " + path);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }

  // Runs `inr report FILES -o OUT` and returns the page ("" on failure, with the test failed).
  std::string report(const std::string& files, const std::string& out, const std::string& flags = "") {
    auto r = run_cli("report " + files + " -o " + out + " " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("wrote " + out), std::string::npos) << r.out;
    return r.exit_code == 0 ? slurp(out) : "";
  }

  std::string dir_, summary_, journal_, profile_;
};

TEST_F(ReportTest, EvalPageShowsAccuracyPerImageTimesOpsAndMachineFacts) {
  make_eval();
  const std::string html = report(summary_ + " " + journal_ + " " + profile_, dir_ + "/eval.html");
  ASSERT_FALSE(html.empty());
  expect_self_contained(html);
  const json data = report_data(html);
  const json summary = json::parse(slurp(summary_));
  // Machine facts of every input: the model's sha256, CPU tier and threads as the input says.
  ASSERT_EQ(data["runs"].size(), 3u);
  EXPECT_EQ(data["runs"][0]["models"][0]["sha256"], summary["model"]["sha256"]);
  EXPECT_EQ(data["runs"][0]["cpu_tier"], summary["cpu_tier"]);
  EXPECT_EQ(data["runs"][0]["threads"], summary["threads"].dump());
  EXPECT_NE(html.find(summary["model"]["sha256"].get<std::string>()), std::string::npos);  // in full, on hover
  // Accuracy with its intervals: the summary's numbers.
  ASSERT_EQ(data["accuracy"].size(), 1u);
  EXPECT_EQ(data["accuracy"][0]["top1"], summary["top1"]);
  EXPECT_EQ(data["accuracy"][0]["top1_ci"], summary["top1_ci"]);
  EXPECT_EQ(data["accuracy"][0]["top5"], summary["top5"]);
  // Per image: every journal line, percentiles ordered.
  ASSERT_EQ(data["per_image"].size(), 1u);
  EXPECT_EQ(data["per_image"][0]["images"], 12);
  EXPECT_LE(data["per_image"][0]["p50_ms"].get<double>(), data["per_image"][0]["p99_ms"].get<double>());
  // Time by op type and node from the profile.
  ASSERT_EQ(data["ops"].size(), 1u);
  EXPECT_EQ(data["ops"][0]["op_types"], json::parse(slurp(profile_))["by_op_type"].size());
  for (const char* id : {"id=\"runs\"", "id=\"accuracy\"", "id=\"per-image\"", "id=\"ops\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  // accuracy, latency histogram, confidence histogram, op types, nodes
  EXPECT_EQ(count_of(html, "class=\"vl-spec\""), 5u);

  // A merge summary is an accuracy row like an eval summary.
  auto r = run_cli("merge " + journal_ + " --json > " + dir_ + "/merge.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json merged = report_data(report(summary_ + " " + dir_ + "/merge.json", dir_ + "/merge.html"));
  ASSERT_EQ(merged["accuracy"].size(), 2u);
  EXPECT_EQ(merged["accuracy"][1]["top1"], summary["top1"]);
  EXPECT_EQ(merged["runs"][1]["content"], "merge summary");
}

TEST_F(ReportTest, ComparePageShowsDeltaMcNemarAndFlippedThumbnails) {
  const std::string compare = make_compare();
  if (compare.empty())
    GTEST_SKIP() << "this build's compare has no --latency-runs or writes no \"schema\" (the N-model compare adds them)";
  const std::string html = report(compare, dir_ + "/compare.html");
  ASSERT_FALSE(html.empty());
  expect_self_contained(html);
  const json c = json::parse(slurp(compare));
  const json data = report_data(html);
  ASSERT_EQ(data["compare"].size(), 1u);
  const json& sides = data["compare"][0]["sides"];
  ASSERT_EQ(sides.size(), 2u);
  EXPECT_EQ(sides[0]["top1"], c["models"][0]["accuracy"]["top1"]);
  EXPECT_EQ(sides[1]["delta_top1"], c["models"][1]["vs_first"]["top1"]["delta"]);
  EXPECT_EQ(sides[1]["mcnemar_p_top1"], c["models"][1]["vs_first"]["top1"]["p_value"]);
  EXPECT_EQ(sides[1]["delta_top5"], c["models"][1]["vs_first"]["top5"]["delta"]);
  EXPECT_EQ(sides[1]["p50_ms"], c["models"][1]["latency_ms"]["p50"]);
  // Every flip as a JPEG thumbnail made by inr ("/9j/" is base64 of the JPEG start-of-image marker).
  const size_t flips = c["flips"].size();
  ASSERT_GT(flips, 0u) << "the five chosen images no longer flip between fp32 and int8";
  EXPECT_EQ(data["compare"][0]["flips"], flips);
  EXPECT_EQ(data["compare"][0]["thumbnails"], flips);
  EXPECT_EQ(count_of(html, "src=\"data:image/jpeg;base64,/9j/"), flips);
  EXPECT_EQ(count_of(html, "data:image/"), flips);
  // Keys are found under --images when the recorded dataset root is gone (a warning names the way out).
  json moved = c;
  moved["dataset"]["root"] = dir_ + "/gone/twelve.tsv";
  spit(dir_ + "/moved.json", moved.dump());
  auto r = run_cli("report " + dir_ + "/moved.json -o " + dir_ + "/moved.html");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(std::to_string(flips) + " flipped image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--images"), std::string::npos) << r.err;
  EXPECT_EQ(count_of(slurp(dir_ + "/moved.html"), "data:image/jpeg"), 0u);
  EXPECT_EQ(report_data(slurp(dir_ + "/moved.html"))["compare"][0]["thumbnails"], 0);
  const std::string found = report(dir_ + "/moved.json", dir_ + "/found.html", "--images " + dir_);
  EXPECT_EQ(count_of(found, "data:image/jpeg"), flips);
  // --thumbnails caps the pictures; the rest are listed.
  const std::string capped = report(compare, dir_ + "/capped.html", "--thumbnails 1");
  EXPECT_EQ(count_of(capped, "data:image/jpeg"), 1u);
  EXPECT_NE(capped.find(std::to_string(flips - 1) + " more flipped images"), std::string::npos);
  // The delta chart and the latency chart.
  EXPECT_EQ(count_of(html, "class=\"vl-spec\""), 3u);  // + the accuracy chart

  // The two-sided form alone (the pair fields "a", "b", "top1_mcnemar", ... without "models") reads the same.
  json pair = c;
  pair.erase("models");
  spit(dir_ + "/pair.json", pair.dump());
  const json pd = report_data(report(dir_ + "/pair.json", dir_ + "/pair.html"));
  ASSERT_EQ(pd["compare"][0]["sides"].size(), 2u);
  EXPECT_EQ(pd["compare"][0]["sides"][0]["top1"], c["a"]["top1"]);
  EXPECT_EQ(pd["compare"][0]["sides"][1]["delta_top1"], c["top1_mcnemar"]["delta"]);
  EXPECT_EQ(pd["compare"][0]["sides"][1]["mcnemar_p_top1"], c["top1_mcnemar"]["p_value"]);
  EXPECT_EQ(pd["compare"][0]["sides"][1]["delta_top5"], c["top5_mcnemar"]["delta"]);
  EXPECT_EQ(pd["compare"][0]["thumbnails"], flips);
}

TEST_F(ReportTest, BenchPageShowsLatencyPercentilesAndPerOpTables) {
  const std::string bench = make_bench();
  if (bench.empty())
    GTEST_SKIP() << "this build's bench has no --per-op or writes no \"schema\" (the extended bench adds them)";
  const std::string html = report(bench, dir_ + "/bench.html");
  ASSERT_FALSE(html.empty());
  expect_self_contained(html);
  const json b = json::parse(slurp(bench));
  const json data = report_data(html);
  ASSERT_EQ(data["bench"].size(), 1u);
  ASSERT_EQ(data["bench"][0]["results"].size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    for (const char* k : {"min_ms", "p50_ms", "p99_ms", "max_ms"})
      EXPECT_EQ(data["bench"][0]["results"][i][k], b["results"][i][k]) << k;
  // One per-op entry per batch, every op type of bench's table.
  ASSERT_EQ(data["ops"].size(), 2u);
  EXPECT_EQ(data["ops"][1]["batch"], 2);
  EXPECT_EQ(data["ops"][1]["op_types"], b["results"][1]["per_op"]["op_types"].size());
  // Machine facts: bench's own versions (oneDNN) and threads.
  EXPECT_NE(data["runs"][0]["versions"].get<std::string>().find("onednn"), std::string::npos);
  EXPECT_EQ(data["runs"][0]["threads"].get<std::string>().rfind(b["config"]["threads"].dump(), 0), 0u);
}

TEST_F(ReportTest, QuantizePageShowsHowTheModelWasMade) {
  const std::string q = make_quantize();
  const std::string html = report(q, dir_ + "/quantize.html");
  ASSERT_FALSE(html.empty());
  expect_self_contained(html);
  const json j = json::parse(slurp(q));
  const json data = report_data(html);
  ASSERT_EQ(data["quantize"].size(), 1u);
  EXPECT_EQ(data["quantize"][0]["mode"], j["mode"]);
  EXPECT_EQ(data["quantize"][0]["nodes_quantized"], j["nodes_quantized"]);
  EXPECT_EQ(data["quantize"][0]["bytes_after"], j["bytes_after"]);
  EXPECT_EQ(data["runs"][0]["models"][0]["sha256"], j["model"]["sha256"]);
  EXPECT_NE(html.find("id=\"quantize\""), std::string::npos);
  EXPECT_NE(html.find(j["calibrator"].get<std::string>() + ", 4 images"), std::string::npos);
}

TEST_F(ReportTest, BadInputsAreOneLineErrorsAndWriteNothing) {
  make_eval();
  const std::string out = dir_ + "/bad.html";
  spit(dir_ + "/noschema.json", R"({"top1": 0.5})");
  test::expect_one_line_error(run_cli("report " + dir_ + "/noschema.json -o " + out), "no \"schema\"");
  spit(dir_ + "/other.json", R"({"schema": {"name": "something.else", "version": 1}})");
  test::expect_one_line_error(run_cli("report " + dir_ + "/other.json -o " + out), "schema 'something.else'");
  spit(dir_ + "/newer.json", R"({"schema": {"name": "inr.bench", "version": 99}})");
  test::expect_one_line_error(run_cli("report " + dir_ + "/newer.json -o " + out), "version 99");
  spit(dir_ + "/text.json", "not json\nat all\n");
  test::expect_one_line_error(run_cli("report " + dir_ + "/text.json -o " + out), "not a JSON file");
  test::expect_one_line_error(run_cli("report " + dir_ + "/missing.json -o " + out), "missing.json");
  // A Chrome trace is not a report input (profile it first).
  test::expect_one_line_error(run_cli("report " + dir_ + "/trace.json -o " + out), "no \"schema\"");
  // No bundles: the error says how to install them.
  fs::create_directories(dir_ + "/empty");
  test::expect_one_line_error(run_cli("report " + summary_ + " -o " + out + " --js-dir " + dir_ + "/empty"),
                              "scripts/install-deps.sh");
  EXPECT_FALSE(fs::exists(out));
  test::expect_one_line_error(run_cli("report " + summary_), "--out");
}

// Rendering: Chromium's DOM after the charts ran, its console, and a screenshot cut into sections.
TEST_F(ReportTest, RendersInHeadlessChromiumWithEveryChartDrawn) {
  const std::string chromium = chromium_path();
  if (chromium.empty()) GTEST_SKIP() << "chromium not installed (scripts/install-deps.sh installs it)";
  make_eval();
  std::string files = summary_ + " " + journal_ + " " + profile_;
  for (const std::string& f : {make_compare(), make_bench(), make_quantize()})
    if (!f.empty()) files += " " + f;
  const std::string page = dir_ + "/all.html";
  const std::string html = report(files, page);
  ASSERT_FALSE(html.empty());
  expect_self_contained(html);
  const size_t charts = count_of(html, "class=\"vl-spec\"");
  ASSERT_GE(charts, 5u);

  // No network at all: every host name resolves to nothing, so a fetch would fail and log.
  const std::string base =
      "timeout " + std::to_string(kChromiumTimeoutS) + " " + chromium +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
      " --disable-component-update --disable-sync --host-resolver-rules='MAP * ~NOTFOUND' --hide-scrollbars"
      " --force-device-scale-factor=1 --virtual-time-budget=" +
      std::to_string(kChromiumVirtualMs) + " --user-data-dir=" + dir_ + "/chromium-profile";
  auto dom = run_shell(base + " --enable-logging=stderr --v=0 --window-size=" + std::to_string(kPageWidth) +
                       ",900 --dump-dom file://" + page);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  if (size_t e = dom.out.find("data-render-error=\""); e != std::string::npos)
    ADD_FAILURE() << dom.out.substr(e, dom.out.find('"', e + 19) - e);
  EXPECT_NE(dom.out.find("data-rendered=\"" + std::to_string(charts) + "\""), std::string::npos)
      << "not every chart finished rendering";
  const std::regex svg(R"re(<svg[^>]*class="marks")re");
  EXPECT_EQ(static_cast<size_t>(std::distance(std::sregex_iterator(dom.out.begin(), dom.out.end(), svg),
                                              std::sregex_iterator())),
            charts);
  // Every console message (errors, warnings, logs) of the page is a failure: a good page prints none.
  std::stringstream err(dom.err);
  for (std::string line; std::getline(err, line);)
    EXPECT_EQ(line.find("CONSOLE"), std::string::npos) << line;
  EXPECT_EQ(dom.err.find("Uncaught"), std::string::npos);

  // Where each section and chart is, and how tall the page is.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom.out, m, std::regex(R"re(data-layout="([^"]*)")re")));
  const json layout = json::parse(std::regex_replace(m[1].str(), std::regex("&quot;"), "\""));
  ASSERT_TRUE(std::regex_search(dom.out, m, std::regex(R"re(data-height="(\d+)")re")));
  const int height = std::stoi(m[1].str());

  const std::string png = dir_ + "/all.png";
  auto shot = run_shell(base + " --window-size=" + std::to_string(kPageWidth) + "," + std::to_string(height) +
                        " --screenshot=" + png + " file://" + page);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  auto img = image::decode_file(png);
  ASSERT_TRUE(img.is_ok()) << img.status().message();
  ASSERT_EQ(img->width, kPageWidth);
  size_t sections = 0, drawn = 0;
  for (const json& box : layout) {
    const std::string id = box["id"];
    const int x0 = box["x"], y0 = box["y"], w = box["w"], h = box["h"];
    ASSERT_LE(y0 + h, img->height) << id;
    std::set<uint32_t> colours;
    int marks = 0;
    for (int y = y0; y < y0 + h; ++y)
      for (int x = x0; x < std::min(x0 + w, img->width); ++x) {
        const uint8_t* p = img->row(y) + 3 * x;
        colours.insert(uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2]);
        marks += std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]}) > 60;
      }
    if (id.rfind("chart-", 0) == 0) {
      EXPECT_GE(marks, kMinMarkPixels) << id << " has no coloured marks in the screenshot";
      ++drawn;
    } else {
      EXPECT_GE(colours.size(), static_cast<size_t>(kMinSectionColours)) << "section " << id << " is blank";
      ++sections;
    }
  }
  EXPECT_EQ(drawn, charts);
  EXPECT_GE(sections, 4u);
}

}  // namespace
}  // namespace inr
