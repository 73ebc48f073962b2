// --target portable|vnni|avx2: the activation/weight types each target implies, and the one-line errors for
// explicit flags that contradict it (see Target in quantize.h for why the targets exist).
#include <string>

#include "quant/quantize.h"

namespace inr::quant {

Result<Target> parse_target(std::string_view name) {
  if (name == "none") return Target::kNone;
  if (name == "portable") return Target::kPortable;
  if (name == "vnni") return Target::kVnni;
  if (name == "avx2") return Target::kAvx2;
  if (name == "gemmini") return Target::kGemmini;
  return error("unknown target '{}' (expected portable, vnni, avx2 or gemmini)", name);
}

const char* target_name(Target target) {
  switch (target) {
    case Target::kNone: return "none";
    case Target::kPortable: return "portable";
    case Target::kVnni: return "vnni";
    case Target::kAvx2: return "avx2";
    case Target::kGemmini: return "gemmini";
  }
  return "?";
}

Status apply_target(Target target, const TypeFlags& given, QuantOptions& o) {
  o.target = target;
  if (target == Target::kNone) {
    if (given.act) o.act = *given.act;
    if (given.weight) o.weight = *given.weight;
    o.reduce_range = given.reduce_range;
    o.symmetric_act = given.symmetric_act;
    o.weight_zp128 = false;
    return Status::ok();
  }
  const std::string t = std::string("--target ") + target_name(target);
  if (o.mode == Mode::kFp16) return error("{} applies to int8 quantization (--mode static or dynamic), not --mode fp16", t);
  if (target == Target::kGemmini) {
    // The Systolic EP: int8 x int8, zero points 0, per-tensor scales (per_channel is set by the caller).
    const char* implied = "--act s8 --symmetric-act --weight s8 --per-tensor";
    if (o.mode != Mode::kStatic) return error("{} applies to --mode static (the runner's calibrate.py --static)", t);
    if (given.act && *given.act != DType::kI8) return error("{} implies {}; drop --act u8", t, implied);
    if (given.weight && *given.weight != DType::kI8) return error("{} implies {}; drop --weight u8", t, implied);
    if (given.reduce_range) return error("{} implies {}; drop --reduce-range", t, implied);
    o.act = DType::kI8;
    o.symmetric_act = true;
    o.weight = DType::kI8;
    o.reduce_range = false;
    o.weight_zp128 = false;
    return Status::ok();
  }
  if (given.act && *given.act != DType::kU8) return error("{} implies --act u8; drop --act s8", t);
  if (given.symmetric_act) return error("{} implies asymmetric u8 activations; drop --symmetric-act", t);
  DType weight = target == Target::kPortable ? DType::kU8 : DType::kI8;
  bool reduce = target == Target::kAvx2;
  const char* implied = target == Target::kPortable ? "--weight u8 (zero point 128)"
                        : target == Target::kAvx2   ? "--weight s8 --reduce-range"
                                                    : "--weight s8 (full range)";
  if (given.weight && *given.weight != weight)
    return error("{} implies {}; drop --weight {}", t, implied, *given.weight == DType::kU8 ? "u8" : "s8");
  if (given.reduce_range && !reduce) return error("{} implies {}; drop --reduce-range", t, implied);
  o.act = DType::kU8;
  o.symmetric_act = false;
  o.weight = weight;
  o.reduce_range = reduce;
  o.weight_zp128 = target == Target::kPortable;
  return Status::ok();
}

}  // namespace inr::quant
