// Distributed calibration at the observer level: the merge of shards equals one pass bit for bit whatever
// the split (zeros included), and observer files round-trip exactly and refuse damage.
#include <gtest/gtest.h>

#include <random>

#include "quant/calibrator.h"
#include "quant/observer.h"
#include "quant/observer_io.h"

namespace inr::quant {
namespace {

std::vector<float> gaussian(size_t n, uint32_t seed, float mean, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

void expect_same(const Observer& a, const Observer& b) {
  EXPECT_EQ(a.minmax.lo(), b.minmax.lo());
  EXPECT_EQ(a.minmax.hi(), b.minmax.hi());
  EXPECT_EQ(a.minmax.count(), b.minmax.count());
  EXPECT_EQ(a.minmax.skipped(), b.minmax.skipped());
  EXPECT_EQ(a.hist.bound(), b.hist.bound());
  EXPECT_EQ(a.hist.total(), b.hist.total());
  EXPECT_EQ(a.hist.counts(), b.hist.counts());
}

// Batches as a calibration sees them: some all zeros (a ReLU output on dark images), the range growing
// from batch to batch, all of it below 1 (so zeros given a bound of 1, as inr did before, would show).
std::vector<std::vector<float>> batches() {
  std::vector<std::vector<float>> b;
  b.push_back(std::vector<float>(301, 0.f));
  b.push_back(gaussian(1009, 1, 0.02f, 0.01f));
  b.push_back(std::vector<float>(77, 0.f));
  b.push_back(gaussian(513, 2, -0.1f, 0.05f));
  b.push_back(gaussian(257, 3, 0.f, 0.01f));
  return b;
}

TEST(DistributedCalibration, MergedShardsEqualOnePassForEverySplit) {
  auto b = batches();
  Observer one(256);
  for (const auto& x : b) one.observe(x);
  // Every way to cut the batch sequence into contiguous shards (2^(n-1) cuts), merged in shard order.
  const size_t n = b.size();
  for (unsigned cuts = 0; cuts < (1u << (n - 1)); ++cuts) {
    std::vector<Observer> shards(1, Observer(256));
    for (size_t i = 0; i < n; ++i) {
      if (i > 0 && (cuts >> (i - 1) & 1)) shards.emplace_back(256);
      shards.back().observe(b[i]);
    }
    Observer merged(256);
    for (const Observer& s : shards) ASSERT_TRUE(merged.merge(s).is_ok());
    SCOPED_TRACE("cuts " + std::to_string(cuts));
    expect_same(merged, one);
    // And the calibrators' ranges, which is what reaches the model.
    for (const auto& c : calibrators()) {
      auto cal = c.make(CalibKnobs{});
      Range r1 = cal->compute_range(one), r2 = cal->compute_range(merged);
      EXPECT_EQ(r1.lo, r2.lo) << c.name;
      EXPECT_EQ(r1.hi, r2.hi) << c.name;
    }
  }
}

TEST(DistributedCalibration, ZerosFirstDoNotSetTheBound) {
  // A shard whose first batch is all zeros must bin the later data as one pass does.
  Observer zeros_first(64), data_first(64);
  std::vector<float> zeros(10, 0.f), data = {0.3f, -0.2f, 0.01f};
  zeros_first.observe(zeros);
  EXPECT_EQ(zeros_first.hist.bound(), 1.f);  // views treat zeros alone as [-1, 1], as before
  zeros_first.observe(data);
  data_first.observe(data);
  data_first.observe(zeros);
  expect_same(zeros_first, data_first);
  EXPECT_EQ(data_first.hist.bound(), 0.5f);
}

TEST(ObserverFile, RoundTripsBitForBit) {
  std::map<std::string, Observer> obs;
  auto b = batches();
  obs.emplace("conv1", Observer(512));
  for (const auto& x : b) obs.at("conv1").observe(x);
  obs.emplace("zeros", Observer(512));
  obs.at("zeros").observe(b[0]);
  obs.emplace("minmax only", Observer(512, /*histogram=*/false));
  obs.at("minmax only").observe(b[3]);
  obs.emplace("empty", Observer(512));
  std::vector<std::string> order = {"zeros", "conv1", "empty", "minmax only"};
  std::string bytes = encode_observers(R"({"k": 1})", order, obs);
  auto f = decode_observers(bytes, "obs.bin");
  ASSERT_TRUE(f) << f.status().message();
  EXPECT_EQ(f->header, R"({"k": 1})");
  EXPECT_EQ(f->tensors, order);
  for (const auto& name : order) {
    SCOPED_TRACE(name);
    expect_same(f->observers.at(name), obs.at(name));
    EXPECT_EQ(f->observers.at(name).use_histogram, obs.at(name).use_histogram);
  }
  EXPECT_EQ(encode_observers(f->header, f->tensors, f->observers), bytes);
}

TEST(ObserverFile, RefusesTruncatedDamagedAndForeignFiles) {
  std::map<std::string, Observer> obs;
  obs.emplace("t", Observer(64));
  obs.at("t").observe(gaussian(100, 4, 0.f, 1.f));
  std::string bytes = encode_observers("{}", {"t"}, obs);
  auto expect_error = [](const std::string& b, const std::string& needle) {
    auto f = decode_observers(b, "obs.bin");
    ASSERT_FALSE(f);
    EXPECT_NE(f.status().message().find(needle), std::string::npos) << f.status().message();
    EXPECT_EQ(f.status().message().rfind("obs.bin: ", 0), 0u) << f.status().message();
  };
  expect_error(bytes.substr(0, bytes.size() - 1), "truncated or damaged");
  expect_error(bytes.substr(0, 20), "truncated");
  std::string flipped = bytes;
  flipped[40] ^= 1;
  expect_error(flipped, "truncated or damaged");
  expect_error("PK\x03\x04 a zip file", "not an inr observer file");
  expect_error("", "not an inr observer file");
}

}  // namespace
}  // namespace inr::quant
