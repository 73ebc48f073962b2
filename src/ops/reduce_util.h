// Shared by the Reduce* ops (https://onnx.ai/onnx/operators/onnx__ReduceSum.html and siblings): which
// axes are reduced (the `axes` attribute before the op's axes-input opset, an optional constant input from
// it; all axes when empty unless noop_with_empty_axes=1), the output shape (keepdims default 1), and a
// kernel that folds every input element into its output slot.
#pragma once

#include <vector>

#include "ops/op_util.h"

namespace inr {

struct Reduction {
  std::vector<bool> reduced;  // per input dim
  Shape out;
  bool noop = false;
};

Result<Reduction> reduction(const Node& node, const Shape& x, int64_t opset_axes_input);

// Infers a float reduction (f32 in, f32 out) whose axes become an input at `opset_axes_input`.
Status infer_reduce_float(Node& node, int64_t opset_axes_input);

// For every output element: acc = init; acc = step(acc, x) over its input elements (in row-major order);
// y = finish(acc, count). Accumulates in double.
template <typename Step, typename Finish>
Status reduce_f32(const Node& node, const Tensor& in, Tensor& out, int64_t opset_axes_input, double init,
                  Step step, Finish finish) {
  const Shape& s = in.shape();
  INR_ASSIGN_OR_RETURN(Reduction r, reduction(node, s, opset_axes_input));
  const float* x = in.data<float>();
  float* y = out.data<float>();
  int64_t n_out = out.numel();
  std::vector<double> acc(static_cast<size_t>(n_out), init);
  size_t rank = s.size();
  std::vector<int64_t> ostride(rank, 0);
  int64_t st = 1;
  for (size_t d = rank; d-- > 0;) {
    if (!r.reduced[d]) {
      ostride[d] = st;
      st *= s[d];
    }
  }
  std::vector<int64_t> idx(rank, 0);
  int64_t o = 0;
  for (int64_t i = 0, n = in.numel(); i < n; ++i) {
    acc[o] = step(acc[o], static_cast<double>(x[i]));
    for (size_t d = rank; d-- > 0;) {
      o += ostride[d];
      if (++idx[d] < s[d]) break;
      o -= ostride[d] * s[d];
      idx[d] = 0;
    }
  }
  double count = n_out > 0 ? static_cast<double>(in.numel()) / static_cast<double>(n_out) : 1.0;
  for (int64_t i = 0; i < n_out; ++i) y[i] = static_cast<float>(finish(acc[i], count));
  return Status::ok();
}

}  // namespace inr
