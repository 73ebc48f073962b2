#include <gtest/gtest.h>

#include <random>

#include "core/arena.h"
#include "core/sha256.h"

namespace inr {
namespace {

bool overlaps(size_t a, size_t an, size_t b, size_t bn) { return a < b + bn && b < a + an; }

TEST(Arena, LiveBuffersNeverOverlapAndDeadOnesShare) {
  std::mt19937 rng(5);
  std::vector<BufferLifetime> bufs;
  for (int i = 0; i < 200; ++i) {
    int first = static_cast<int>(rng() % 50);
    bufs.push_back({1 + rng() % 100000, first, first + static_cast<int>(rng() % 6)});
  }
  ArenaPlan plan = plan_arena(bufs);
  size_t sum = 0;
  for (size_t i = 0; i < bufs.size(); ++i) {
    sum += bufs[i].bytes;
    EXPECT_EQ(plan.offsets[i] % 64, 0u);
    EXPECT_LE(plan.offsets[i] + bufs[i].bytes, plan.total_bytes);
    for (size_t j = i + 1; j < bufs.size(); ++j) {
      bool live_together = !(bufs[i].last_use < bufs[j].first_use || bufs[j].last_use < bufs[i].first_use);
      if (live_together) {
        EXPECT_FALSE(overlaps(plan.offsets[i], bufs[i].bytes, plan.offsets[j], bufs[j].bytes)) << i << " " << j;
      }
    }
  }
  EXPECT_LT(plan.total_bytes, sum / 2);  // short lifetimes: reuse must be substantial
}

TEST(Arena, ChainReusesTwoBuffers) {
  // a -> b -> c -> d, each read only by the next step: two slots suffice.
  std::vector<BufferLifetime> bufs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  ArenaPlan plan = plan_arena(bufs);
  EXPECT_EQ(plan.total_bytes, 2 * 1024u);
}

TEST(Sha256, KnownVectors) {
  Sha256 a;
  EXPECT_EQ(a.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 b;
  b.update("abc", 3);
  EXPECT_EQ(b.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 c;  // 56 bytes: the padding spills into a second block
  std::string s = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  c.update(s.data(), s.size());
  EXPECT_EQ(c.hex_digest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace inr
