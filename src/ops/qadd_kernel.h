// The arithmetic of com.microsoft QLinearAdd as ONNX Runtime evaluates it on x86-64, shared by the reference
// kernel (src/ops/q_linear_add.cc) and the oneDNN backend's element-wise step, so both give the same bytes.
//
// ONNX Runtime's x86 kernel (MLAS, AVX2: lib/intrinsics/avx2/qladd_avx2.cpp, as compiled in onnxruntime
// 1.30's Linux build) works on the raw integers in float32, with the zero points folded into one constant:
//   r_a = A_scale / C_scale, r_b = B_scale / C_scale               (float32 divisions)
//   fixed = float(C_zp) - fma(r_a, A_zp, r_b * B_zp)                (the compiler contracted a*b + c*d)
//   C = saturate(round_half_even(fma(A, r_a, fma(B, r_b, fixed))))  (fma: one rounding, vfmadd)
// When B is one element over the span the broadcast loop hands the kernel (a scalar, or a [1,C,1,1]-style
// operand over [N,C,H,W]), it goes into the constant: C = sat(rne(fma(A, r_a, fma(B, r_b, fixed)))) with the
// inner fma done once. When A is the single element, ORT swaps the operands (the op is commutative), so the
// constant is float(C_zp) - fma(r_b, B_zp, r_a * A_zp) and C = sat(rne(fma(B, r_b, fma(A, r_a, fixed)))).
// The contractions and the swap were pinned down against onnxruntime-node 1.30 on inputs where each choice
// changes the output (tests/ops/quant_cases.cc). Exact ties of the true sum can round either way:
// evaluating the textbook (A_scale (A - A_zp) + B_scale (B - B_zp)) / C_scale in float or exactly gives a
// different byte on about 1 element in 2,500 of a residual add, enough to flip top-1 on some images.
#pragma once

#include <cstdint>

#include "inr/dtype.h"

namespace inr {

struct QAddParams {
  float ra = 1.f, rb = 1.f;
  float fixed_ab = 0.f;  // the constant with A first (B full, or B the scalar)
  float fixed_ba = 0.f;  // with the operands swapped (A the scalar)
  int32_t lo = 0, hi = 255;  // the output type's range
};

QAddParams qadd_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp, float c_scale, int32_t c_zp,
                       DType c_type);

// One element. `a_scalar`: A is the single element over its span (the operands swap). B being the single
// element gives the same bytes as the same-shape formula, so it needs no flag here.
int32_t qadd_value(int32_t a, int32_t b, bool a_scalar, const QAddParams& p);

// c[i] = QLinearAdd(a[i or 0], b[i or 0]) over a contiguous span of n elements (u8 or s8 per `type`); an
// operand marked scalar is read once. Vectorised (AVX2 + FMA) where the CPU has it, same bytes either way, and
// split over the OpenMP threads when long.
void qadd_span(DType type, const void* a, bool a_scalar, const void* b, bool b_scalar, void* c, int64_t n,
               const QAddParams& p);

}  // namespace inr
