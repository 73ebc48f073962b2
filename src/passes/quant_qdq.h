// QDQ -> integer operators (backend-neutral). A QDQ model marks quantized tensors with
// QuantizeLinear/DequantizeLinear pairs around float ops; this pass rewrites
//   DQ(x) , DQ(w) [, DQ(bias int32)] -> Conv [-> Relu | Clip] -> Q     into  QLinearConv
//   DQ(a) , DQ(b)                     -> MatMul                  -> Q     into  QLinearMatMul
//   DQ(a) , DQ(b)                     -> Add                     -> Q     into  com.microsoft QLinearAdd
//   DQ(x)                             -> MaxPool                 -> Q     into  MaxPool on x (same scale/zp)
// so the model runs in integer arithmetic (the DQ nodes left without users are removed).
//
// What equality holds. The float QDQ graph computes Q(conv(DQ(x), DQ(w)) + DQ(b)) with float32 products and
// sums; the rewritten graph computes saturate(round(acc * x_scale * w_scale / y_scale) + y_zp) from the exact
// int32 accumulator acc. The two agree exactly except where the float graph's rounding error (and its
// double-rounded scale) moves a value across a rounding boundary, so every output element of the Q differs
// by at most one quantization step (1 LSB), and the rewritten node is bit-exact to QLinearConv /
// QLinearMatMul on the same integers (what ONNX Runtime's own QDQ fusion produces). The Add rewrite is
// likewise what ORT's fusion does; QLinearAdd rounds as ORT's kernel, which can differ from the float graph by
// 1 LSB on ties. Relu / Clip between the
// op and the Q are folded only when they are a no-op after the Q's saturation (Relu with y_zp at the bottom
// of the range; Clip bounds that quantize to the range ends), which makes the folding exact.
// 4-bit weights (opset 21 INT4 / UINT4 initializers behind a DequantizeLinear, as `inr quantize --weight-bits
// 4` writes them) are first widened to s8 / u8 constants with the same integers, once, at load; the rewrites
// above then apply unchanged, so a W4A8 model runs the int8 kernels. The widening is exact (DQ's output is the
// same), so the equality stated above holds for 4-bit weights too. ONNX Runtime instead dequantizes 4-bit
// weights to float and runs a float Conv (it disables QDQ fusion for 4-bit types).
// Preconditions for a rewrite: weights (w, b, bias) and every scale / zero point constant; x and y per
// tensor; w per tensor or per output channel (DQ axis 0); bias an int32 DQ with zero point 0 and scale
// x_scale * w_scale; every intermediate float value used only by the next node of the pattern.
#pragma once

#include "ir/graph.h"

namespace inr {

Status fuse_qdq(Graph& graph);

}  // namespace inr
