// CPU tier detection and cap (cpu_tier.h). CPUID leaves and bits: Intel SDM vol. 2A, "CPUID"; the XCR0
// state bits: vol. 1, 13.3 ("Enabling the XSAVE feature set"). Written here rather than taken from Debian's
// CPU-feature libraries because neither knows every tier: libcpu-features-dev 0.7.0 has no AVX-VNNI, and
// libcpuinfo-dev (2022-06) has neither AVX-VNNI nor AMX.
#include "core/cpu_tier.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace inr {

namespace {

struct TierInfo {
  CpuTier tier;
  std::string_view name;
  CpuFeatures needs;
};

// In cap order. A tier is usable when the CPU has every feature it needs.
constexpr std::array<TierInfo, 6> kTiers{{
    {CpuTier::kBaseline, "baseline", {}},
    {CpuTier::kAvx2, "avx2", {.avx2 = true}},
    {CpuTier::kAvxVnni, "avx_vnni", {.avx2 = true, .vnni256 = true}},
    {CpuTier::kAvx512, "avx512", {.avx2 = true, .avx512 = true}},
    {CpuTier::kAvx512Vnni, "avx512_vnni", {.avx2 = true, .avx512 = true, .vnni512 = true}},
    {CpuTier::kAmx, "amx", {.avx2 = true, .avx512 = true, .vnni512 = true, .amx = true}},
}};

bool covers(const CpuFeatures& have, const CpuFeatures& need) {
  return (have.avx2 || !need.avx2) && (have.vnni256 || !need.vnni256) && (have.avx512 || !need.avx512) &&
         (have.vnni512 || !need.vnni512) && (have.amx || !need.amx);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return f;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool os_ymm = (xcr0_lo & 0x6) == 0x6;      // SSE and AVX state
  const bool os_zmm = (xcr0_lo & 0xe6) == 0xe6;    // plus opmask and ZMM state
  const bool os_tiles = (xcr0_lo & 0x60000) == 0x60000;  // XTILECFG and XTILEDATA
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = (b >> 5) & 1;
  const bool avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
  const bool avx512vnni = (c >> 11) & 1, avx512vbmi = (c >> 1) & 1;
  const bool amx_tile = (d >> 24) & 1, amx_int8 = (d >> 25) & 1;
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  __cpuid_count(7, 1, a1, b1, c1, d1);
  const bool avxvnni = (a1 >> 4) & 1;
  f.avx2 = os_ymm && avx2 && fma;
  f.vnni256 = f.avx2 && avxvnni;
  f.avx512 = f.avx2 && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  f.vnni512 = f.avx512 && avx512vnni;
  f.amx = f.vnni512 && os_tiles && amx_tile && amx_int8;
  f.vbmi = f.avx512 && avx512vbmi;
#endif
  return f;
}

}  // namespace

std::string_view cpu_tier_name(CpuTier tier) { return kTiers[static_cast<size_t>(tier)].name; }

Result<CpuTier> parse_cpu_tier(std::string_view name) {
  std::string n = lower(name);
  for (const TierInfo& t : kTiers)
    if (n == t.name) return t.tier;
  return error("unknown CPU tier '{}' (expected baseline, avx2, avx_vnni, avx512, avx512_vnni or amx)", name);
}

Result<CpuTier> parse_onednn_isa(std::string_view name) {
  std::string n = lower(name);
  if (n == "sse41") return CpuTier::kBaseline;
  if (n == "avx" || n == "avx2") return CpuTier::kAvx2;
  if (n == "avx2_vnni") return CpuTier::kAvxVnni;
  if (n == "avx512_core") return CpuTier::kAvx512;
  if (n == "avx512_core_vnni" || n == "avx512_core_bf16") return CpuTier::kAvx512Vnni;
  if (n == "avx512_core_amx" || n == "all") return CpuTier::kAmx;
  return error("ONEDNN_MAX_CPU_ISA={} is not a value inr maps to a tier (SSE41, AVX2, AVX2_VNNI, AVX512_CORE, "
               "AVX512_CORE_VNNI, AVX512_CORE_BF16, AVX512_CORE_AMX, ALL)",
               name);
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

CpuTier tier_of(const CpuFeatures& have, CpuTier cap) {
  CpuTier best = CpuTier::kBaseline;
  for (const TierInfo& t : kTiers)
    if (t.tier <= cap && covers(have, t.needs)) best = t.tier;
  return best;
}

CpuTier detected_cpu_tier() { return tier_of(cpu_features(), CpuTier::kAmx); }

Result<CpuTier> cpu_tier_cap() {
  if (const char* v = std::getenv("INR_MAX_ISA"); v && *v) {
    Result<CpuTier> t = parse_cpu_tier(v);
    if (!t.is_ok()) return t.status().with_context("INR_MAX_ISA");
    return t;
  }
  if (const char* v = std::getenv("ONEDNN_MAX_CPU_ISA"); v && *v) return parse_onednn_isa(v);
  return CpuTier::kAmx;
}

CpuTier cpu_tier() {
  static const CpuTier tier = [] {
    Result<CpuTier> cap = cpu_tier_cap();
    return tier_of(cpu_features(), cap.is_ok() ? *cap : CpuTier::kAmx);
  }();
  return tier;
}

}  // namespace inr
