// Element-wise kernels shared by the activation and arithmetic op files: a unary map and a numpy
// multidirectional broadcast of two operands (https://onnx.ai/onnx/repo-docs/Broadcasting.html).
#pragma once

#include <vector>

#include "ops/op_util.h"

namespace inr {

template <typename T, typename F>
void map_unary(const Tensor& x, Tensor& y, F f) {
  const T* in = x.data<T>();
  T* out = y.data<T>();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) out[i] = f(in[i]);
}

// out[i] = f(a[ia], b[ib]) under broadcasting. `out` may alias `a` or `b` when that operand already has
// the output's shape (each element is read before it is written).
template <typename T, typename F>
void broadcast_binary(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const Shape& os = out.shape();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  int64_t n = out.numel();
  if (n == 0) return;
  if ((a.shape() == os && b.shape() == os) || os.empty()) {  // same shapes, or all scalars
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  size_t r = os.size();
  std::vector<int64_t> sa = broadcast_strides(a.shape(), r), sb = broadcast_strides(b.shape(), r);
  // The innermost dim is handled as a strided row (stride 0 or 1); the odometer walks the rest.
  int64_t inner = os[r - 1], ia_step = sa[r - 1], ib_step = sb[r - 1];
  std::vector<int64_t> idx(r, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t o = 0; o < n; o += inner) {
    for (int64_t k = 0; k < inner; ++k) po[o + k] = f(pa[ia + k * ia_step], pb[ib + k * ib_step]);
    for (size_t d = r - 1; d-- > 0;) {
      ++idx[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < os[d]) break;
      ia -= sa[d] * os[d];
      ib -= sb[d] * os[d];
      idx[d] = 0;
    }
  }
}

}  // namespace inr

namespace inr {

// Calls f(out_index, index_0, index_1, ...) for every element of `out` with each operand's element index
// under numpy broadcasting (any number of operands; Where has three).
template <typename F>
void for_each_broadcast_n(const Shape& out, const std::vector<Shape>& operands, F f) {
  size_t r = out.size(), k = operands.size();
  int64_t n = shape_numel(out);
  std::vector<std::vector<int64_t>> st(k);
  for (size_t j = 0; j < k; ++j) st[j] = broadcast_strides(operands[j], r);
  std::vector<int64_t> idx(r, 0), at(k, 0);
  for (int64_t i = 0; i < n; ++i) {
    f(i, at);
    for (size_t d = r; d-- > 0;) {
      ++idx[d];
      for (size_t j = 0; j < k; ++j) at[j] += st[j][d];
      if (idx[d] < out[d]) break;
      for (size_t j = 0; j < k; ++j) at[j] -= st[j][d] * out[d];
      idx[d] = 0;
    }
  }
}

// Every element of a numeric tensor as double (exponents of Pow, which may differ in dtype from the base).
std::vector<double> elements_as_double(const Tensor& t);

}  // namespace inr
