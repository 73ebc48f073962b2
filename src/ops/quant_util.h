// Shared arithmetic of the quantized ops (QuantizeLinear, DequantizeLinear, QLinearConv, QLinearMatMul,
// ConvInteger, MatMulInteger, QGemm and the com.microsoft QLinear* ops).
//
// Exactness contract (DESIGN.md: "int8 path exact"): every function here is integer arithmetic or a fixed
// sequence of IEEE float32 operations with no contraction opportunity (no a*b+c in one expression), so
// results do not depend on compiler, thread count or backend. Where ONNX Runtime's CPU kernels (MLAS) are
// exact, the sequence is theirs, so inr reproduces ORT bit for bit:
//  - requantisation of an int32 accumulator: y = saturate(round_half_even(float(acc) * scale) + y_zp), with
//    scale = x_scale * w_scale[c] / y_scale evaluated in float32 left to right (ORT qlinearconv.cc and
//    quantize_linear_matmul.cc compute `X_scale * W_scale[i] / Y_scale` in float);
//  - quantisation of a float: y = saturate(round_half_even(x / y_scale) + y_zp) with a float32 division
//    (the ONNX formula; MLAS's QuantizeLinear divides too);
//  - dequantisation: y = float(x - x_zp) * x_scale.
// Rounding is round-half-to-even via the float32 "magic number" addition, exact because the value has been
// clamped to the output range first (|v| < 2^22).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "ops/conv_kernel.h"
#include "ops/op_util.h"

namespace inr {

// Integer range of a quantized dtype (u8 s8 u4 i4 u16 i16 i32).
struct QRange {
  int32_t lo = 0, hi = 255;
};
QRange qrange(DType t);
bool is_q8(DType t);  // u8 or s8

// Round half to even of a float already within (-2^22, 2^22): the addition rounds in float32 arithmetic.
inline float round_half_even(float v) {
  constexpr float kMagic = 12582912.f;  // 1.5 * 2^23: adding it leaves no fraction bits
  float t = v + kMagic;  // inr is never built with -ffast-math, which would fold this away
  return t - kMagic;
}

// saturate(round_half_even(v) + zp) in [lo, hi]; NaN maps to lo (as MLAS's max/min sequence does).
inline int32_t quantize_value(float v, int32_t zp, QRange r) {
  float lo = static_cast<float>(r.lo - zp), hi = static_cast<float>(r.hi - zp);
  v = v > lo ? v : lo;  // clamp in float first, like MLAS, so the rounding stays exact
  v = v < hi ? v : hi;
  return static_cast<int32_t>(round_half_even(v)) + zp;
}

// Element access for the integer dtypes of quantized tensors (u8 s8 u4 i4 u16 i16 i32; 4-bit packed
// two per byte, low nibble first).
int32_t load_qint(const Tensor& t, int64_t i);
void store_qint(Tensor& t, int64_t i, int32_t v);
// Float scalars of scale tensors (f32 f16 bf16).
float load_scale(const Tensor& t, int64_t i);

// Per-tensor (one value) or per-channel quantization parameters of one operand, read out of their tensors.
struct QParams {
  std::vector<float> scale;      // 1 or C values
  std::vector<int32_t> zero_point;  // 1 or C values (0 when the zero point input is absent)
  float scale_at(int64_t c) const { return scale.size() == 1 ? scale[0] : scale[static_cast<size_t>(c)]; }
  int32_t zp_at(int64_t c) const {
    return zero_point.size() == 1 ? zero_point[0] : zero_point[static_cast<size_t>(c)];
  }
};
// `zero_point` may be undefined (absent input): zero.
QParams read_qparams(const Tensor& scale, const Tensor& zero_point);
std::vector<int32_t> read_zero_points(const Tensor& zero_point);  // undefined -> {0}

// Which scale / zero point element applies to element i of x in QuantizeLinear / DequantizeLinear:
// per-tensor (a scalar or 1-element scale), per-axis (a 1-D scale along `axis`) or blocked (opset 21:
// scale of x's rank, x's shape but ceil(dim / block_size) along `axis`).
struct QParamLayout {
  bool per_tensor = true;
  int64_t dim = 1, inner = 1, block = 0, blocks = 1;
  int64_t index(int64_t i) const {
    if (per_tensor) return 0;
    int64_t a = (i / inner) % dim;
    if (block == 0) return a;
    int64_t o = i / (inner * dim), in = i % inner;
    return (o * blocks + a / block) * inner + in;
  }
};
// Reads the node's axis (default 1) and block_size (default 0) attributes and validates the scale shape.
Result<QParamLayout> qparam_layout(const Node& node, const Shape& x, const Shape& scale);

// infer helpers: a scale/zero point input must be a scalar / 1-element tensor, or (when `channels` > 0)
// a 1-D tensor of `channels` values. `what` names it in errors.
// infer of the com.microsoft QLinear binary ops (QLinearAdd, QLinearMul): inputs A, A_scale, A_zp, B, B_scale,
// B_zp, C_scale, [C_zp]; output A's dtype with the broadcast shape of A and B.
Status infer_qlinear_binary(Node& node);
Status expect_qparam_shape(const Value* v, int64_t channels, std::string_view what);
Status expect_scale_dtype(const Value* v, std::string_view what);
// Every constant scale of a (de)quantizing op must be finite and > 0: a scale of 0, a negative one, NaN or inf
// gives garbage (or a division by zero) with no error. Checked once at load; names the node and input.
Status check_constant_scales(const Graph& g);
// The same for BatchNormalization: a constant input_var with var + epsilon <= 0 (or not finite) makes
// sqrt() NaN and every score NaN. check_constant_inputs runs both (Session load).
Status check_batch_norm_variance(const Graph& g);
Status check_constant_inputs(const Graph& g);
// Error unless the optional zero point `zp` has dtype `t` (when present).
Status expect_zp_dtype(const Value* zp, DType t, std::string_view what);

// Requantises int32 accumulators: out[i] = saturate(round(float(acc[i]) * scale) + zp).
void requantize_row(const int32_t* acc, int64_t n, float scale, int32_t zp, QRange r, DType out_dtype, void* out,
                    int64_t out_offset);

// --- Integer GEMM --------------------------------------------------------------------------------------
// c[m, n] (+)= sum_k a[m, k] * b[n, k] over int16 operands stored k-contiguous (both "row" forms: b is the
// transposed right-hand side), int32 accumulation (exact: |a|, |b| <= 255 and k < 2^15). `accumulate`:
// add to c instead of overwriting. Cache-blocked and OpenMP-parallel over n; results are independent of
// blocking and thread count because integer addition is associative.
void gemm_s16_nt(int64_t m, int64_t n, int64_t k, const int16_t* a, const int16_t* b, int32_t* c, bool accumulate);

// Widening copies with the zero point subtracted: dst[i] = src[i] - zp (src u8/s8, any layout).
void to_s16_minus_zp(const Tensor& t, int64_t offset, int64_t count, int32_t zp, int16_t* dst);

// --- Integer convolution (QLinearConv, ConvInteger); geometry from conv_kernel.h's conv_shape ---------
// acc[n, m, out...] = sum over the window of (x - x_zp) * (w - w_zp[m]) (+ bias[m]); padding contributes
// 0 (the padded value is x_zp, real zero). x and w are u8/s8; w_zp has 1 or M values; bias may be null.
void conv_int32(const ConvShape& s, const Tensor& x, int32_t x_zp, const Tensor& w, const std::vector<int32_t>& w_zp,
                const int32_t* bias, int32_t* acc);

// --- Batched matrix products (MatMulInteger, QLinearMatMul) -------------------------------------------
// numpy matmul shapes: a [..., M, K], b [..., K, N] (1-D operands promoted and the added dim removed).
struct MatMulDims {
  Shape out;
  int64_t m = 0, k = 0, n = 0, batch = 1;
  std::vector<int64_t> a_offset, b_offset;  // element offset of each batch's matrix
};
Result<MatMulDims> matmul_dims(const Shape& a, const Shape& b);

// c[i, j] (+)= sum_k (A'[i, k] - a_zp[i]) * (B'[k, j] - b_zp[j]) for one matrix pair in int32, where
// A' = a_trans ? A^T : A (A'[M, K]) and B' = b_trans ? B^T : B (B'[K, N]); a and b are u8/s8 tensors read
// from element offsets a_off / b_off; a_zp has 1 or M values, b_zp 1 or N.
struct IntMatMul {
  int64_t m = 0, k = 0, n = 0;
  bool a_trans = false, b_trans = false;
};
void matmul_int32(const IntMatMul& d, const Tensor& a, int64_t a_off, const std::vector<int32_t>& a_zp, const Tensor& b,
                  int64_t b_off, const std::vector<int32_t>& b_zp, int32_t* c, bool accumulate);

}  // namespace inr
