// Dataset discovery (every layout), list parsing and sharding, on small synthetic trees.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "data/dataset.h"
#include "test_util.h"

namespace inr::data {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& p, const std::string& bytes = "x") {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

TEST(BalancedSample, RoundRobinOverClassesSortedAndSeeded) {
  std::vector<Sample> all;
  auto add = [&](int label, int n) {
    for (int i = 0; i < n; ++i) all.push_back({fmt::format("c{}/{:02}.jpg", label, i), "", label});
  };
  add(0, 5);
  add(1, 1);
  add(2, 10);
  std::vector<Sample> a = balanced_sample(all, 7, 42), b = balanced_sample(all, 7, 42);
  ASSERT_EQ(a.size(), 7u);
  std::map<int, int> per_class;
  for (const Sample& s : a) ++per_class[s.label];
  // 7 over 3 classes: class 1 has only one image, the other two share the rest evenly.
  EXPECT_EQ(per_class[1], 1);
  EXPECT_EQ(per_class[0], 3);
  EXPECT_EQ(per_class[2], 3);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end(), [](const Sample& x, const Sample& y) { return x.key < y.key; }));
  std::set<std::string> keys;
  for (const Sample& s : a) keys.insert(s.key);
  EXPECT_EQ(keys.size(), 7u);  // no image twice
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].key, b[i].key);  // the seed decides
  bool any_differs = false;
  for (uint64_t seed = 1; seed < 8 && !any_differs; ++seed) {
    std::vector<Sample> c = balanced_sample(all, 7, seed);
    for (size_t i = 0; i < c.size(); ++i) any_differs = any_differs || c[i].key != a[i].key;
  }
  EXPECT_TRUE(any_differs);
  EXPECT_EQ(balanced_sample(all, 100, 1).size(), all.size());
  // A fixed seed gives these images on every machine (own Fisher-Yates over mt19937_64, no std:: shuffle).
  std::vector<Sample> two = balanced_sample(all, 2, 7);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NE(two[0].label, two[1].label);
}

TEST(ListLine, TabsSpacesAndErrors) {
  auto a = parse_list_line("val/a b.JPEG\t472\tn02951358", "t:1");
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->path, "val/a b.JPEG");
  EXPECT_EQ(a->label, 472);
  EXPECT_EQ(a->wnid, "n02951358");
  auto b = parse_list_line("ILSVRC2012_val_00000001.JPEG 65\r", "t:2");
  ASSERT_TRUE(b.is_ok()) << b.status().message();
  EXPECT_EQ(b->path, "ILSVRC2012_val_00000001.JPEG");
  EXPECT_EQ(b->label, 65);
  auto c = parse_list_line("x.jpg   7  ", "t:3");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->path, "x.jpg");
  EXPECT_EQ(c->label, 7);
  auto bad = parse_list_line("x.jpg cat", "val.txt:9");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("val.txt:9"), std::string::npos);
  EXPECT_FALSE(parse_list_line("lonely", "t").is_ok());
  EXPECT_FALSE(parse_list_line("x.jpg\t-3", "t").is_ok());
}

TEST(Dataset, ListFileRelativeToItsFolder) {
  fs::path d = test::temp_dir("ds_list");
  touch(d / "sub" / "b.jpg");
  std::ofstream(d / "list.txt") << "# comment\n\nsub/b.jpg\t3\n/abs/a.png 1\r\n";
  auto ds = open_dataset((d / "list.txt").string());
  ASSERT_TRUE(ds.is_ok()) << ds.status().message();
  EXPECT_EQ(ds->layout, DatasetLayout::kListFile);
  ASSERT_EQ(ds->samples.size(), 2u);
  EXPECT_EQ(ds->samples[0].key, "/abs/a.png");  // sorted by key
  EXPECT_EQ(ds->samples[0].path, "/abs/a.png");
  EXPECT_EQ(ds->samples[1].key, "sub/b.jpg");
  EXPECT_EQ(ds->samples[1].path, (d / "sub" / "b.jpg").string());
  EXPECT_EQ(ds->samples[1].label, 3);
}

TEST(Dataset, ListFileDuplicateIsAnError) {
  fs::path d = test::temp_dir("ds_dup");
  std::ofstream(d / "list.txt") << "a.jpg 1\nb.jpg 2\na.jpg 1\n";
  auto ds = open_dataset((d / "list.txt").string());
  ASSERT_FALSE(ds.is_ok());
  EXPECT_NE(ds.status().message().find("'a.jpg' is listed more than once"), std::string::npos);
}

TEST(Dataset, WnidFoldersUseTheSynsetOrder) {
  fs::path d = test::temp_dir("ds_wnid");
  touch(d / "n01443537" / "x2.JPEG");
  touch(d / "n01443537" / "deeper" / "x3.jpeg");
  touch(d / "n01440764" / "x1.JPEG");
  touch(d / "n01440764" / "notes.txt");
  touch(d / "n01440764" / ".hidden.jpg");
  DatasetOptions o;
  o.wnids = {"n01440764", "n01443537", "n01484850"};
  auto ds = open_dataset(d.string(), o);
  ASSERT_TRUE(ds.is_ok()) << ds.status().message();
  EXPECT_EQ(ds->layout, DatasetLayout::kWnidFolders);
  ASSERT_EQ(ds->samples.size(), 3u);
  EXPECT_EQ(ds->samples[0].key, "n01440764/x1.JPEG");
  EXPECT_EQ(ds->samples[0].label, 0);
  EXPECT_EQ(ds->samples[1].key, "n01443537/deeper/x3.jpeg");
  EXPECT_EQ(ds->samples[1].label, 1);
  EXPECT_EQ(ds->skipped_files, 1);
  EXPECT_TRUE(ds->note.empty());
  // Without a class list: sorted wnids present, with a note that this is only right for all 1000.
  auto plain = open_dataset(d.string());
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ(plain->samples[2].label, 1);
  EXPECT_FALSE(plain->note.empty());
  // A wnid outside the class list.
  o.wnids = {"n01440764"};
  auto bad = open_dataset(d.string(), o);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("n01443537"), std::string::npos);
}

TEST(Dataset, IndexFolders) {
  fs::path d = test::temp_dir("ds_index");
  touch(d / "233" / "a.jpg");
  touch(d / "7" / "b.png");
  auto ds = open_dataset(d.string());
  ASSERT_TRUE(ds.is_ok()) << ds.status().message();
  EXPECT_EQ(ds->layout, DatasetLayout::kIndexFolders);
  ASSERT_EQ(ds->samples.size(), 2u);
  EXPECT_EQ(ds->samples[0].key, "233/a.jpg");
  EXPECT_EQ(ds->samples[0].label, 233);
  EXPECT_EQ(ds->samples[1].label, 7);
}

TEST(Dataset, MixedFoldersAreAnError) {
  fs::path d = test::temp_dir("ds_mixed");
  touch(d / "233" / "a.jpg");
  touch(d / "cats" / "b.jpg");
  auto ds = open_dataset(d.string());
  ASSERT_FALSE(ds.is_ok());
  EXPECT_NE(ds.status().message().find("'cats'"), std::string::npos) << ds.status().message();
}

TEST(Dataset, FlatFolderNeedsGroundTruth) {
  fs::path d = test::temp_dir("ds_flat");
  touch(d / "img" / "ILSVRC2012_val_00000002.JPEG");
  touch(d / "img" / "ILSVRC2012_val_00000001.JPEG");
  std::ofstream(d / "val.txt") << "ILSVRC2012_val_00000001.JPEG 65\nILSVRC2012_val_00000002.JPEG 970\n"
                                  "ILSVRC2012_val_00000003.JPEG 230\n";
  auto none = open_dataset((d / "img").string());
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("--ground-truth"), std::string::npos);
  DatasetOptions o;
  o.ground_truth = (d / "val.txt").string();
  auto ds = open_dataset((d / "img").string(), o);
  ASSERT_TRUE(ds.is_ok()) << ds.status().message();
  EXPECT_EQ(ds->layout, DatasetLayout::kFlatGroundTruth);
  ASSERT_EQ(ds->samples.size(), 2u);  // the entry without an image is ignored
  EXPECT_EQ(ds->samples[0].label, 65);
  EXPECT_EQ(ds->samples[1].label, 970);
  // An image without a ground-truth entry is an error naming it.
  touch(d / "img" / "extra.jpg");
  auto missing = open_dataset((d / "img").string(), o);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("extra.jpg"), std::string::npos);
}

TEST(Dataset, MissingSource) {
  auto ds = open_dataset("/nonexistent/val");
  ASSERT_FALSE(ds.is_ok());
  EXPECT_NE(ds.status().message().find("/nonexistent/val"), std::string::npos);
}

TEST(Shard, ParseIsOneBased) {
  auto s = parse_shard("3/8");
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->index, 3);
  EXPECT_EQ(s->count, 8);
  EXPECT_FALSE(parse_shard("0/8").is_ok());
  EXPECT_FALSE(parse_shard("9/8").is_ok());
  EXPECT_FALSE(parse_shard("3").is_ok());
  EXPECT_FALSE(parse_shard("a/b").is_ok());
  EXPECT_FALSE(parse_shard("1/0").is_ok());
}

TEST(Shard, PartitionsExactlyWithoutPadding) {
  for (size_t total : {0u, 1u, 7u, 966u, 1166u}) {
    for (int n : {1, 2, 3, 8, 13}) {
      size_t next = 0;
      size_t smallest = SIZE_MAX, largest = 0;
      for (int k = 1; k <= n; ++k) {
        auto [b, e] = shard_range(total, {k, n});
        EXPECT_EQ(b, next) << total << " " << k << "/" << n;
        EXPECT_LE(b, e);
        next = e;
        smallest = std::min(smallest, e - b);
        largest = std::max(largest, e - b);
      }
      EXPECT_EQ(next, total);
      EXPECT_LE(largest - smallest, 1u);
    }
  }
}


// --shard auto: the environment a Slurm array task or a Kubernetes Indexed Job pod sees.
namespace fake_env {
std::map<std::string, std::string> vars;
const char* get(const char* name) {
  auto it = vars.find(name);
  return it == vars.end() ? nullptr : it->second.c_str();
}
}  // namespace fake_env

Result<AutoShard> auto_shard(std::map<std::string, std::string> vars) {
  fake_env::vars = std::move(vars);
  return resolve_shard("auto", &fake_env::get);
}

void expect_shard(const Result<AutoShard>& r, int k, int n) {
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->shard.index, k);
  EXPECT_EQ(r->shard.count, n);
}

void expect_auto_error(const Result<AutoShard>& r, const std::string& needle) {
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << "one line";
}

TEST(AutoShard, SlurmArrayTasksAreOneBasedShards) {
  // sbatch --array=0-3: tasks 0..3 are shards 1/4..4/4, with COUNT or with MAX alone (older Slurm).
  for (int id = 0; id < 4; ++id) {
    std::string t = std::to_string(id);
    expect_shard(auto_shard({{"SLURM_ARRAY_TASK_ID", t}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "3"},
                             {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_STEP", "1"}}),
                 id + 1, 4);
    expect_shard(auto_shard({{"SLURM_ARRAY_TASK_ID", t}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "3"}}),
                 id + 1, 4);
  }
  // --array=1-8 and --array=10-40:10 (ids 10, 20, 30, 40).
  auto r = auto_shard({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_COUNT", "8"}});
  expect_shard(r, 1, 8);
  EXPECT_EQ(r->source, "Slurm array task 1 of 1-8");
  r = auto_shard({{"SLURM_ARRAY_TASK_ID", "30"}, {"SLURM_ARRAY_TASK_MIN", "10"}, {"SLURM_ARRAY_TASK_MAX", "40"},
                  {"SLURM_ARRAY_TASK_STEP", "10"}, {"SLURM_ARRAY_TASK_COUNT", "4"}});
  expect_shard(r, 3, 4);
  EXPECT_EQ(r->source, "Slurm array task 30 of 10-40:10");
  // Slurm wins over a Kubernetes index (a pod never has SLURM_ARRAY_TASK_ID).
  expect_shard(auto_shard({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                           {"JOB_COMPLETION_INDEX", "0"}, {"INR_SHARD_COUNT", "5"}}),
               3, 3);
}

TEST(AutoShard, KubernetesIndexedJobNeedsTheCount) {
  auto r = auto_shard({{"JOB_COMPLETION_INDEX", "0"}, {"INR_SHARD_COUNT", "4"}});
  expect_shard(r, 1, 4);
  EXPECT_EQ(r->source, "Kubernetes job completion index 0");
  expect_shard(auto_shard({{"JOB_COMPLETION_INDEX", "3"}, {"INR_SHARD_COUNT", "4"}}), 4, 4);
  expect_auto_error(auto_shard({{"JOB_COMPLETION_INDEX", "1"}}), "INR_SHARD_COUNT is not");
  expect_auto_error(auto_shard({{"JOB_COMPLETION_INDEX", "4"}, {"INR_SHARD_COUNT", "4"}}), "must be below");
  expect_auto_error(auto_shard({{"JOB_COMPLETION_INDEX", "0"}, {"INR_SHARD_COUNT", "0"}}), "must be in 1..");
}

TEST(AutoShard, RefusesAMissingOrInconsistentEnvironment) {
  expect_auto_error(auto_shard({}), "no scheduler shard in the environment");
  expect_auto_error(auto_shard({{"SLURM_JOB_ID", "7"}}), "no scheduler shard");  // a job, but not an array
  expect_auto_error(auto_shard({{"SLURM_ARRAY_TASK_ID", "1"}}), "SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT");
  expect_auto_error(auto_shard({{"SLURM_ARRAY_TASK_ID", "x1"}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_COUNT", "2"}}),
                    "SLURM_ARRAY_TASK_ID='x1' is not a non-negative integer");
  expect_auto_error(auto_shard({{"JOB_COMPLETION_INDEX", "-1"}, {"INR_SHARD_COUNT", "2"}}), "not a non-negative");
  // --array=1,4,9: MIN 1, MAX 9, COUNT 3 are no evenly spaced range.
  expect_auto_error(auto_shard({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "9"},
                                {"SLURM_ARRAY_TASK_COUNT", "3"}}),
                    "not one of an evenly spaced range");
  expect_auto_error(auto_shard({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_MIN", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}),
                    "below SLURM_ARRAY_TASK_MIN");
  // K/N still works, with no source.
  fake_env::vars.clear();
  auto r = resolve_shard("2/5", &fake_env::get);
  expect_shard(r, 2, 5);
  EXPECT_TRUE(r->source.empty());
}

}  // namespace
}  // namespace inr::data
