// Predictions JSONL: round trip, torn lines, the resumable journal, summaries and merging.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/predictions.h"
#include "test_util.h"

namespace inr::data {
namespace {

namespace fs = std::filesystem;

Prediction pred(const std::string& path, int label, std::vector<int> top) {
  Prediction p;
  p.path = path;
  p.label = label;
  p.top = std::move(top);
  for (size_t i = 0; i < p.top.size(); ++i) p.scores.push_back(0.5f / static_cast<float>(i + 1));
  p.ms = 1.25;
  return p;
}

Prediction failed(const std::string& path, int label) {
  Prediction p;
  p.path = path;
  p.label = label;
  p.error = path + ": not a JPEG or PNG file";
  return p;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Predictions, JsonlRoundTrip) {
  Prediction p = pred("val/a \"quoted\".JPEG", 65, {65, 1, 2, 3, 4});
  std::string line = to_jsonl(p);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  auto q = parse_prediction(std::string_view(line).substr(0, line.size() - 1), "t");
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  EXPECT_EQ(q->path, p.path);
  EXPECT_EQ(q->label, 65);
  EXPECT_EQ(q->top, p.top);
  ASSERT_EQ(q->scores.size(), 5u);
  EXPECT_NEAR(q->scores[1], 0.25, 1e-6);
  EXPECT_DOUBLE_EQ(q->ms, 1.25);
  auto f = parse_prediction(to_jsonl(failed("x.jpg", 3)), "t");
  ASSERT_TRUE(f.is_ok());
  EXPECT_TRUE(f->failed());
  EXPECT_EQ(f->label, 3);
}

TEST(Predictions, ReadsOrtReferenceTsv) {
  auto p = parse_prediction("val/ILSVRC2012_val_00000355.JPEG\t260\t259,260,154,261,230", "ref:2");
  ASSERT_TRUE(p.is_ok()) << p.status().message();
  EXPECT_EQ(p->path, "val/ILSVRC2012_val_00000355.JPEG");
  EXPECT_EQ(p->label, 260);
  EXPECT_EQ(p->top, (std::vector<int>{259, 260, 154, 261, 230}));
  EXPECT_FALSE(parse_prediction("{\"image\": 3}", "x").is_ok());
  EXPECT_FALSE(parse_prediction("{broken", "x").is_ok());
}

const nlohmann::json kHeader = {{"schema", {{"name", "test.journal"}, {"version", 1}}}, {"model", "m"}};

TEST(Predictions, TornLastLineIsDroppedAndTruncatedOnResume) {
  std::string path = test::temp_dir("pred_torn") + "/p.jsonl";
  std::string full = kHeader.dump() + "\n" + to_jsonl(pred("a.jpg", 1, {1, 2, 3, 4, 5})) + to_jsonl(failed("b.jpg", 2));
  std::string torn = to_jsonl(pred("c.jpg", 3, {3, 2, 1, 0, 4}));
  std::ofstream(path, std::ios::binary) << full << torn.substr(0, torn.size() / 2);
  auto r = read_predictions(path);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->dropped_torn_tail);
  EXPECT_EQ(r->predictions.size(), 2u);
  EXPECT_EQ(r->header, kHeader);
  EXPECT_EQ(r->valid_bytes, full.size());

  // Without --resume an existing journal is never clobbered.
  auto no = PredictionsJournal::open(path, /*resume=*/false, kHeader);
  ASSERT_FALSE(no.is_ok());
  EXPECT_NE(no.status().message().find("--resume"), std::string::npos);

  {
    auto j = PredictionsJournal::open(path, /*resume=*/true, kHeader);
    ASSERT_TRUE(j.is_ok()) << j.status().message();
    EXPECT_EQ(j->existing().predictions.size(), 2u);
    EXPECT_EQ(slurp(path), full);  // the torn tail is gone
    std::vector<Prediction> more = {pred("c.jpg", 3, {3, 2, 1, 0, 4})};
    ASSERT_TRUE(j->append(more).is_ok());
  }
  EXPECT_EQ(slurp(path), full + torn);
}

TEST(Predictions, NewJournalStartsWithItsHeader) {
  std::string path = test::temp_dir("pred_new") + "/p.jsonl";
  {
    auto j = PredictionsJournal::open(path, /*resume=*/false, kHeader);
    ASSERT_TRUE(j.is_ok()) << j.status().message();
    std::vector<Prediction> one = {pred("a.jpg", 1, {1, 2})};
    ASSERT_TRUE(j->append(one).is_ok());
  }
  auto r = read_predictions(path);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->header, kHeader);
  ASSERT_EQ(r->predictions.size(), 1u);
  EXPECT_EQ(slurp(path).substr(0, slurp(path).find('\n')), kHeader.dump());
}

TEST(Predictions, JournalWithoutHeaderIsRefusedOnResume) {
  std::string path = test::temp_dir("pred_nohdr") + "/p.jsonl";
  std::ofstream(path, std::ios::binary) << to_jsonl(pred("a.jpg", 1, {1}));
  auto j = PredictionsJournal::open(path, /*resume=*/true, kHeader);
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("no header"), std::string::npos) << j.status().message();
}

TEST(Predictions, SecondWriterIsRefusedWhileTheFirstHoldsTheJournal) {
  std::string path = test::temp_dir("pred_lock") + "/p.jsonl";
  auto first = PredictionsJournal::open(path, /*resume=*/false, kHeader);
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  auto second = PredictionsJournal::open(path, /*resume=*/true, kHeader);
  ASSERT_FALSE(second.is_ok());
  EXPECT_NE(second.status().message().find("another inr process"), std::string::npos) << second.status().message();
}

TEST(Predictions, UnlabelledLinesAndNamesRoundTrip) {
  Prediction p = pred("x.jpg", -1, {3, 1});
  p.names = {"three", "one"};
  std::string line = to_jsonl(p);
  EXPECT_EQ(line.find("\"label\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"image\":\"x.jpg\""), std::string::npos) << line;
  auto q = parse_prediction(std::string_view(line).substr(0, line.size() - 1), "t");
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  EXPECT_EQ(q->label, -1);
  EXPECT_EQ(q->top, (std::vector<int>{3, 1}));
}

TEST(Predictions, MalformedCompleteLineIsAnError) {
  std::string path = test::temp_dir("pred_bad") + "/p.jsonl";
  std::ofstream(path, std::ios::binary) << to_jsonl(pred("a.jpg", 1, {1})) << "{oops}\n";
  auto r = read_predictions(path);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("p.jsonl:2"), std::string::npos) << r.status().message();
}

TEST(Predictions, SummaryExcludesFailuresFromDenominators) {
  std::vector<Prediction> ps = {pred("a", 1, {1, 2, 3, 4, 5}), pred("b", 5, {1, 2, 3, 4, 5}),
                                pred("c", 9, {1, 2, 3, 4, 5}), failed("d", 1)};
  Summary s = summarize(ps);
  EXPECT_EQ(s.images, 3);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.top1, 1);
  EXPECT_EQ(s.top5, 2);
  EXPECT_NEAR(s.top1_rate(), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(s.inference_ms, 3.75, 1e-12);
}

TEST(Predictions, MergeSortsAndRejectsOverlap) {
  PredictionsFile a, b;
  a.predictions = {pred("z", 1, {1}), pred("m", 2, {1})};
  b.predictions = {pred("a", 1, {1}), failed("q", 4)};
  std::vector<PredictionsFile> files = {a, b};
  std::vector<std::string> names = {"a.jsonl", "b.jsonl"};
  auto m = merge_predictions(files, names);
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0].path, "a");
  EXPECT_EQ((*m)[3].path, "z");
  files[1].predictions.push_back(pred("m", 2, {1}));
  auto overlap = merge_predictions(files, names);
  ASSERT_FALSE(overlap.is_ok());
  EXPECT_NE(overlap.status().message().find("'m' is in both a.jsonl and b.jsonl"), std::string::npos)
      << overlap.status().message();
}

}  // namespace
}  // namespace inr::data
