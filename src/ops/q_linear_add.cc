// com.microsoft QLinearAdd: C = quantize(dequantize(A) + dequantize(B)), numpy broadcasting.
// ONNX Runtime contrib op (docs/ContribOperators.md, "com.microsoft.QLinearAdd"): inputs A, A_scale,
// A_zero_point (optional), B, B_scale, B_zero_point (optional), C_scale, C_zero_point (optional); all per
// tensor; A, B, C u8 or s8 (one type).
//
// Arithmetic. ONNX Runtime's x86 kernel (MLAS qladd.cpp) does not compute this in float: it evaluates the
// sum in fixed point, following XNNPACK's quantized add. With ratios r_a = A_scale / C_scale and
// r_b = B_scale / C_scale (float32), E the binary exponent of max(r_a, r_b) and shift = 21 - E, the
// multipliers are M_a = round(r_a * 2^shift), M_b = round(r_b * 2^shift) (22-bit integers), and
//   C = saturate(round_half_away_from_zero((M_a (A - A_zp) + M_b (B - B_zp)) / 2^shift) + C_zp).
// inr evaluates exactly that (independently written from the arithmetic, not the SIMD code), so QOperator
// models match ORT bit for bit. The fixed-point form needs the ratios in [2^-14, 256) and a shift in
// [13, 31]; outside that (where ORT's ARM kernel also falls back) the float formula
//   C = saturate(round_half_even(clamp((A_scale (A - A_zp) + B_scale (B - B_zp)) / C_scale) + C_zp))
// of MLAS's portable kernel is used.
#include <bit>
#include <cmath>

#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
struct FixedPointAdd {
  bool exact = false;
  int shift = 0;
  int64_t ma = 0, mb = 0;
};

FixedPointAdd fixed_point_params(float ra, float rb) {
  constexpr float kMinRatio = 0x1.0p-14f, kMaxRatio = 256.f;
  constexpr int kMantissaBits = 21;  // the larger multiplier gets 22 significant bits
  constexpr int64_t kMultiplierLimit = int64_t{1} << (kMantissaBits + 1);
  FixedPointAdd p;
  if (!(ra >= kMinRatio && ra < kMaxRatio && rb >= kMinRatio && rb < kMaxRatio)) return p;
  float greater = std::max(ra, rb);
  int exponent = static_cast<int>(std::bit_cast<uint32_t>(greater) >> 23) - 127;
  p.shift = kMantissaBits - exponent;
  if (p.shift > 31 || p.shift < 13) return p;
  float scale = std::ldexp(1.f, p.shift);  // exact power of two: the products below are exact
  p.ma = std::lrint(ra * scale);
  p.mb = std::lrint(rb * scale);
  p.exact = p.ma < kMultiplierLimit && p.mb < kMultiplierLimit && (p.ma >= kMultiplierLimit / 2 || p.mb >= kMultiplierLimit / 2);
  return p;
}

// acc / 2^shift rounded half away from zero (XNNPACK's requantisation rounding).
inline int64_t shift_round_away(int64_t acc, int shift) {
  int64_t mask = (int64_t{1} << shift) - 1;
  int64_t rem = (acc & mask) - (acc < 0 ? 1 : 0);
  return (acc >> shift) + (rem > (mask >> 1) ? 1 : 0);
}

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& a = in[0];
  const Tensor& b = in[3];
  float sa = load_scale(in[1], 0), sb = load_scale(in[4], 0), sc = load_scale(in[6], 0);
  int32_t za = in[2].defined() ? load_qint(in[2], 0) : 0;
  int32_t zb = in[5].defined() ? load_qint(in[5], 0) : 0;
  int32_t zc = in.size() > 7 && in[7].defined() ? load_qint(in[7], 0) : 0;
  Tensor& c = out[0];
  QRange r = qrange(c.dtype());
  FixedPointAdd fp = fixed_point_params(sa / sc, sb / sc);
  auto add = [&](int32_t qa, int32_t qb) -> int32_t {
    if (fp.exact) {
      int64_t acc = fp.ma * (qa - za) + fp.mb * (qb - zb);
      return static_cast<int32_t>(std::clamp<int64_t>(shift_round_away(acc, fp.shift) + zc, r.lo, r.hi));
    }
    float va = sa * static_cast<float>(qa - za);
    float vb = sb * static_cast<float>(qb - zb);
    float v = (va + vb) / sc;
    float lo = static_cast<float>(r.lo - zc), hi = static_cast<float>(r.hi - zc);
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return static_cast<int32_t>(round_half_even(v + static_cast<float>(zc)));
  };
  for_each_broadcast(c.shape(), a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    store_qint(c, i, add(load_qint(a, ia), load_qint(b, ib)));
  });
  return Status::ok();
}

}  // namespace

const OpSchema& schema_q_linear_add() {
  static const OpSchema s{Op::kQLinearAdd, 7, 8, 1, 1, infer_qlinear_binary, run};
  return s;
}

}  // namespace inr
