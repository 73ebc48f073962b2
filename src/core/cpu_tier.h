// The x86-64 instruction-set tier of the process: detected once from CPUID, capped by INR_MAX_ISA (or, when
// that is unset, by oneDNN's own ONEDNN_MAX_CPU_ISA), and read by every kernel that has more than one
// implementation (ours and oneDNN's, which the oneDNN backend caps to the same tier before its first
// primitive), so a big CPU can run and test a smaller CPU's code paths.
//
// Tiers, in the order a cap applies (a cap admits every tier up to and including itself):
//   baseline     x86-64 without AVX2 (SSE only)
//   avx2         AVX2 + FMA                          (AMD Zen 1-3, Intel Haswell..Comet Lake)
//   avx_vnni     AVX2 + AVX-VNNI (256-bit vpdpbusd)  (Intel Alder Lake and later client CPUs)
//   avx512       AVX-512 F/BW/VL/DQ, no VNNI         (Intel Skylake-SP)
//   avx512_vnni  AVX-512 with VNNI                   (Intel Cascade Lake+, AMD Zen 4/5)
//   amx          AVX-512 VNNI + AMX-INT8 usable      (Intel Sapphire Rapids+)
// Thread safety: the tier is computed once (function-local static) and is immutable afterwards.
#pragma once

#include <string>
#include <string_view>

#include "inr/status.h"

namespace inr {

enum class CpuTier { kBaseline, kAvx2, kAvxVnni, kAvx512, kAvx512Vnni, kAmx };

// The features a tier needs; a CPU (or a cap) is a set of them.
struct CpuFeatures {
  bool avx2 = false;     // AVX2 and FMA
  bool vnni256 = false;  // AVX-VNNI
  bool avx512 = false;   // AVX-512 F, BW, VL, DQ (oneDNN's avx512_core)
  bool vnni512 = false;  // AVX512-VNNI
  bool amx = false;      // AMX-TILE + AMX-INT8 with the OS's tile state enabled
  // Not a tier of its own: a kernel with an AVX512-VBMI form (vpermb, vpermt2b) uses it on the AVX-512 tiers
  // when the CPU has it (tier_has_avx512_vbmi), and its tier's form otherwise.
  bool vbmi = false;
};

// "baseline", "avx2", "avx_vnni", "avx512", "avx512_vnni", "amx".
std::string_view cpu_tier_name(CpuTier tier);
// Parses a tier name (the names above, case-insensitive); an error naming the accepted values otherwise.
Result<CpuTier> parse_cpu_tier(std::string_view name);
// Parses a oneDNN ONEDNN_MAX_CPU_ISA value (SSE41, AVX2, AVX2_VNNI, AVX512_CORE, AVX512_CORE_VNNI,
// AVX512_CORE_BF16, AVX512_CORE_AMX, ALL) into the tier it admits.
Result<CpuTier> parse_onednn_isa(std::string_view name);

// The CPU's features (CPUID + XGETBV), read once.
const CpuFeatures& cpu_features();
// The highest tier whose features are all in `have` and whose position is at most `cap`.
CpuTier tier_of(const CpuFeatures& have, CpuTier cap);
// The tier the CPU supports, ignoring any cap.
CpuTier detected_cpu_tier();
// The cap in force: INR_MAX_ISA, else ONEDNN_MAX_CPU_ISA, else none (kAmx); an error for a bad value.
Result<CpuTier> cpu_tier_cap();
// The process's tier: detected, capped. A bad cap value counts as no cap here; callers that can report it
// (the CLI, at start-up) check cpu_tier_cap() first.
CpuTier cpu_tier();

// Whether int8 dot products on this tier accumulate exactly in int32 (VNNI or AMX). Without VNNI, x86
// int8 kernels (oneDNN's, ONNX Runtime's) multiply u8 x s8 pairs with vpmaddubsw, whose int16 pair sums
// saturate.
inline bool tier_has_vnni(CpuTier t) { return t == CpuTier::kAvxVnni || t >= CpuTier::kAvx512Vnni; }
inline bool tier_has_avx2(CpuTier t) { return t >= CpuTier::kAvx2; }
inline bool tier_has_avx512(CpuTier t) { return t >= CpuTier::kAvx512; }
// AVX512-VBMI on an AVX-512 tier (a cap below AVX-512 turns it off with the rest of AVX-512).
inline bool tier_has_avx512_vbmi(CpuTier t) { return tier_has_avx512(t) && cpu_features().vbmi; }

}  // namespace inr
