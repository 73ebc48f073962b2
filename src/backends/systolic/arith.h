// Gemmini's arithmetic, element by element: the primitives the systolic backend's CPU mode (-x 0) and its
// tile-level OS/WS models (-x 1, -x 2) both call, so all three are bit-identical by construction.
//
// Sources (see ../shared/research/gemmini.md section 5): ucb-bar/gemmini-rocc-tests include/gemmini.h and
// gemmini_params.h (ROUND_NEAR_EVEN, ACC_SCALE, MVIN_SCALE, scale_and_sat, resadd_cpu), the ORT fork's
// systolic_include.h (RELU6 with relu6_shift) and the RTL's accumulator scaler (AccumulatorScale.scala:
// int32 -> float RNE, float32 multiply RNE, float -> int RNE, saturate to int32, clip to int8).
//
// Contract: every function is integer arithmetic or one float32 operation at a time (the build has
// -ffp-contract=off), so results depend on nothing but the arguments.
#pragma once

#include <cstdint>

namespace inr::systolic {

constexpr int32_t kElemMin = -128;  // elem_t = int8
constexpr int32_t kElemMax = 127;

// Gemmini's ROUND_NEAR_EVEN on a float: round half to even. Values beyond the int32 range saturate
// (the RTL's RecFNToIN saturates), NaN gives 0.
int32_t round_near_even(float x);

// ROUNDING_RIGHT_SHIFT(x, shift): arithmetic shift with round-half-to-even on the shifted-out bits (the
// in-PE OS shift and the old shift-based scaling). shift 0 returns x.
int32_t rounding_right_shift(int32_t x, int shift);

inline int32_t clamp_elem(int64_t x) {
  return static_cast<int32_t>(x < kElemMin ? kElemMin : x > kElemMax ? kElemMax : x);
}

// ACC_SCALE then saturate: clip_int8(RNE(float(x) * scale)), the accumulator read path (mvout).
// float(x) is int32 -> float32 with round-to-nearest-even, as in C and the RTL.
int8_t acc_scale(int32_t x, float scale);
// MVIN_SCALE: clip_int8(RNE(float(x) * scale)), the scratchpad's mvin scaling unit.
int8_t mvin_scale(int8_t x, float scale);

// The activation applied after the int8 clip. The fork's RELU6 clamps to [0, 6 << relu6_shift]; inr
// generalises it to [0, relu6_max] so a clip bound that is not a power of two of the scale is exact too
// (relu6_max = 6 << shift reproduces the fork).
enum class Activation { kNone, kRelu, kRelu6 };
struct Epilogue {
  float scale = 1.f;            // accumulator scale (x_scale * w_scale / y_scale for a conv)
  Activation act = Activation::kNone;
  int32_t relu6_max = kElemMax;  // kRelu6 only, in [0, 127]
  int32_t lo() const { return act == Activation::kNone ? kElemMin : 0; }
  int32_t hi() const { return act == Activation::kRelu6 ? relu6_max : kElemMax; }
};
// scale_and_sat(x, act, scale) of gemmini.h, with RELU6 as above.
inline int8_t scale_and_activate(int32_t x, const Epilogue& e) {
  int32_t v = acc_scale(x, e.scale);
  v = v < e.lo() ? e.lo() : v;
  v = v > e.hi() ? e.hi() : v;
  return static_cast<int8_t>(v);
}
// The same for a row: out[i] = scale_and_activate(acc[i], e). Vectorised; identical results.
void scale_and_activate_row(const int32_t* acc, int64_t n, const Epilogue& e, int8_t* out);
// The same on channels-last accumulators (what oneDNN's int8 kernels write): `rows` rows of `channels` int32
// in acc (acc2, when not null, a second part added to them, then bias[channel] when not null, all in
// wrapping int32 as the accumulator adds). Row r, channel m goes to out[r * channels + m] (channels-last,
// out_plane 0) or to out[m * out_plane + r] (planes, NCHW). Vectorised over runs of whole rows, blocked for
// the transpose, OpenMP-parallel over blocks of rows; identical results.
void scale_and_activate_channels_last(const int32_t* acc, const int32_t* acc2, const int32_t* bias, int64_t rows,
                                      int64_t channels, const Epilogue& e, int8_t* out, int64_t out_plane);

// Residual add as the ORT fork's tiled_resadd_auto computes it: each term goes through the mvin scaler
// (RNE and int8 saturation), the two are added in the accumulator (int32), then mvout with scale 1 and
// the activation: clamp(sat8(RNE(a * a_scale)) + sat8(RNE(b * b_scale)), relu ? 0 : -128, 127), with
// a_scale = Sa / Sc and b_scale = Sb / Sc divided in float32 by the caller (resadd_scale).
inline float resadd_scale(float s_in, float s_out) { return s_in / s_out; }
inline int8_t resadd(int8_t a, float a_scale, int8_t b, float b_scale, bool relu) {
  int32_t r = static_cast<int32_t>(mvin_scale(a, a_scale)) + mvin_scale(b, b_scale);
  int32_t lo = relu ? 0 : kElemMin;
  return static_cast<int8_t>(r < lo ? lo : r > kElemMax ? kElemMax : r);
}
void resadd_row(const int8_t* a, float a_scale, const int8_t* b, float b_scale, bool relu, int64_t n, int8_t* out);

// Global average on Gemmini (tiled_global_average_auto): the window is summed in the accumulator (int32)
// and moved out with the acc scale 1/count: clip_int8(RNE(float(sum) * scale)), scale =
// float(1.0 / count) * (x_scale / y_scale) (the ratio is exactly 1 when the scales are equal, the only case
// the hardware instruction sequence covers). NOTE: gemmini.h's CPU reference global_average_cpu computes
// (sum + count/2) / count with C division instead, which differs for negative sums (sum = -25, count = 49:
// CPU 0, hardware RNE(-0.51) = -1) and on ties; inr follows the hardware.
float global_average_scale(int64_t count, float x_scale, float y_scale);
inline int8_t global_average(int32_t sum, float scale) { return acc_scale(sum, scale); }
// gemmini.h's global_average_cpu, kept to document (and test) the difference above.
int32_t global_average_cpu(int32_t sum, int32_t count);

}  // namespace inr::systolic
