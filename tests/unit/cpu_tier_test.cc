// The CPU tier (src/core/cpu_tier.h): names, caps, and the tier a feature set gives.
#include <gtest/gtest.h>

#include "core/cpu_tier.h"

namespace inr {
namespace {

const CpuFeatures kZen3{.avx2 = true};
const CpuFeatures kZen5{.avx2 = true, .vnni256 = true, .avx512 = true, .vnni512 = true};
const CpuFeatures kAlderLake{.avx2 = true, .vnni256 = true};
const CpuFeatures kSkylakeSp{.avx2 = true, .avx512 = true};
const CpuFeatures kSapphireRapids{.avx2 = true, .vnni256 = true, .avx512 = true, .vnni512 = true, .amx = true};

TEST(CpuTier, TierOfFeatureSets) {
  EXPECT_EQ(tier_of({}, CpuTier::kAmx), CpuTier::kBaseline);
  EXPECT_EQ(tier_of(kZen3, CpuTier::kAmx), CpuTier::kAvx2);
  EXPECT_EQ(tier_of(kAlderLake, CpuTier::kAmx), CpuTier::kAvxVnni);
  EXPECT_EQ(tier_of(kSkylakeSp, CpuTier::kAmx), CpuTier::kAvx512);
  EXPECT_EQ(tier_of(kZen5, CpuTier::kAmx), CpuTier::kAvx512Vnni);
  EXPECT_EQ(tier_of(kSapphireRapids, CpuTier::kAmx), CpuTier::kAmx);
}

TEST(CpuTier, CapsLowerTheTier) {
  EXPECT_EQ(tier_of(kZen5, CpuTier::kAvx2), CpuTier::kAvx2);
  EXPECT_EQ(tier_of(kZen5, CpuTier::kAvx512), CpuTier::kAvx512);  // no VNNI of either width
  EXPECT_EQ(tier_of(kZen5, CpuTier::kAvxVnni), CpuTier::kAvxVnni);
  EXPECT_EQ(tier_of(kZen5, CpuTier::kBaseline), CpuTier::kBaseline);
  // A cap above what the CPU has changes nothing; one between its tiers gives the best tier under it.
  EXPECT_EQ(tier_of(kZen3, CpuTier::kAvx512Vnni), CpuTier::kAvx2);
  EXPECT_EQ(tier_of(kAlderLake, CpuTier::kAvx512Vnni), CpuTier::kAvxVnni);
  EXPECT_EQ(tier_of(kSapphireRapids, CpuTier::kAvx512Vnni), CpuTier::kAvx512Vnni);
}

TEST(CpuTier, VnniTiers) {
  EXPECT_FALSE(tier_has_vnni(CpuTier::kAvx2));
  EXPECT_FALSE(tier_has_vnni(CpuTier::kAvx512));
  EXPECT_TRUE(tier_has_vnni(CpuTier::kAvxVnni));
  EXPECT_TRUE(tier_has_vnni(CpuTier::kAvx512Vnni));
  EXPECT_TRUE(tier_has_vnni(CpuTier::kAmx));
}

TEST(CpuTier, NamesRoundTrip) {
  for (CpuTier t : {CpuTier::kBaseline, CpuTier::kAvx2, CpuTier::kAvxVnni, CpuTier::kAvx512, CpuTier::kAvx512Vnni,
                    CpuTier::kAmx}) {
    auto p = parse_cpu_tier(cpu_tier_name(t));
    ASSERT_TRUE(p.is_ok());
    EXPECT_EQ(*p, t);
  }
  EXPECT_EQ(parse_cpu_tier("AVX2").value(), CpuTier::kAvx2);
  auto bad = parse_cpu_tier("avx3");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("expected baseline, avx2"), std::string::npos);
}

TEST(CpuTier, OnednnIsaNames) {
  EXPECT_EQ(parse_onednn_isa("AVX2").value(), CpuTier::kAvx2);
  EXPECT_EQ(parse_onednn_isa("avx2_vnni").value(), CpuTier::kAvxVnni);
  EXPECT_EQ(parse_onednn_isa("AVX512_CORE").value(), CpuTier::kAvx512);
  EXPECT_EQ(parse_onednn_isa("AVX512_CORE_VNNI").value(), CpuTier::kAvx512Vnni);
  EXPECT_EQ(parse_onednn_isa("AVX512_CORE_AMX").value(), CpuTier::kAmx);
  EXPECT_FALSE(parse_onednn_isa("AVX1024").is_ok());
}

// The process tier never exceeds what the CPU has.
TEST(CpuTier, ProcessTierWithinDetected) {
  EXPECT_LE(cpu_tier(), detected_cpu_tier());
  EXPECT_EQ(tier_of(cpu_features(), CpuTier::kAmx), detected_cpu_tier());
}

}  // namespace
}  // namespace inr
