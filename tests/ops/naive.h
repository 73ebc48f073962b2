// Naive re-implementations used as independent checks of the reference kernels: written directly from
// the ONNX spec formulas in double precision, sharing no code with src/ops (no op_util broadcasting or
// window geometry).
#pragma once

#include <functional>
#include <vector>

#include "inr/tensor.h"

namespace inr::test {

// y[i] = f(x[i]) with y of dtype `out` (default: x's dtype).
Tensor naive_unary(const Tensor& x, const std::function<double(double)>& f, DType out = DType::kUndefined);
// Numpy broadcasting by explicit index arithmetic.
Shape naive_broadcast_shape(const std::vector<Shape>& shapes);
Tensor naive_nary(const std::vector<Tensor>& xs, const std::function<double(const std::vector<double>&)>& f,
                  DType out = DType::kUndefined);

struct NaiveWindow {
  std::vector<int64_t> kernel, stride, dilation, pad_begin, pad_end;
};
// Explicit SAME_UPPER / SAME_LOWER pads per the ONNX auto_pad formula.
void naive_same_pads(const Shape& in_spatial, NaiveWindow& w, bool upper);
// Output spatial size per dim (floor or ceil mode; ceil drops a last window starting in the end padding).
std::vector<int64_t> naive_out_spatial(const Shape& in_spatial, const NaiveWindow& w, bool ceil_mode);

// Direct convolution, x [N, C, s...], w [M, C/group, k...], optional bias [M], 1-3 spatial dims.
Tensor naive_conv(const Tensor& x, const Tensor& w, const Tensor* bias, const NaiveWindow& win, int64_t group);
// Pools: kind "max" or "avg".
Tensor naive_pool(const Tensor& x, const NaiveWindow& win, bool ceil_mode, const std::string& kind,
                  bool count_include_pad);

}  // namespace inr::test
