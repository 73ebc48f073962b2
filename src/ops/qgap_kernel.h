// The arithmetic of com.microsoft QLinearGlobalAveragePool as ONNX Runtime's MLAS evaluates it
// (qlgavgpool.cpp), shared by the reference kernel and the oneDNN backend's element-wise step:
//   acc = sum(X over the S spatial positions) - x_zp * S        (int32)
//   Y   = saturate(round_half_even(float(acc) * scale) + y_zp),  scale = x_scale / (y_scale * float(S))
#pragma once

#include <cstdint>

#include "inr/dtype.h"

namespace inr {

struct QGapParams {
  int32_t x_zp = 0, y_zp = 0;
  float scale = 1.f;
  int32_t lo = 0, hi = 255;  // the output type's range
};

QGapParams qgap_params(float x_scale, int32_t x_zp, float y_scale, int32_t y_zp, int64_t spatial, DType type);

// y[n, c] for x laid out [N, C, S] (channels_last false) or [N, S, C] (true); u8 or s8 per `type`.
void qgap(DType type, const void* x, void* y, int64_t batch, int64_t channels, int64_t spatial, bool channels_last,
          const QGapParams& p);

}  // namespace inr
