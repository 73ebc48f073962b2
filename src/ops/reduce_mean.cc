// ReduceMean: the mean over `axes` (all axes when empty, unless noop_with_empty_axes=1), keepdims default 1.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__ReduceMean.html (opsets 1, 11, 13, 18): axes is an
// attribute before opset 18 and an optional (constant) input from 18.
#include <vector>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetAxesInput = 18;

struct Reduction {
  std::vector<bool> reduced;  // per input dim
  Shape out;
  bool noop = false;
};

Result<Reduction> reduction(const Node& node, const Shape& x) {
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_from_input_or_attr(node, 1, kOpsetAxesInput));
  int64_t rank = static_cast<int64_t>(x.size());
  bool keep = node.attr_int("keepdims", 1) != 0;
  Reduction r;
  r.reduced.assign(x.size(), axes.empty());
  if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) != 0) {
    r.reduced.assign(x.size(), false);
    r.noop = true;
  }
  for (int64_t a : axes) {
    INR_ASSIGN_OR_RETURN(int64_t ax, normalize_axis(a, rank));
    if (r.reduced[ax]) return error("axis {} is listed twice", a);
    r.reduced[ax] = true;
  }
  for (size_t d = 0; d < x.size(); ++d) {
    if (!r.reduced[d]) {
      r.out.push_back(x[d]);
    } else if (keep) {
      r.out.push_back(1);
    }
  }
  return r;
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input"));
  INR_ASSIGN_OR_RETURN(Reduction r, reduction(node, x->shape));
  set_output(node, 0, DType::kF32, r.out);
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  INR_ASSIGN_OR_RETURN(Reduction r, reduction(node, s));
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  int64_t n_out = out[0].numel();
  std::vector<double> sum(static_cast<size_t>(n_out), 0.0);
  // Output strides over the input's dims (0 on reduced dims), walked with an odometer.
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
  for (int64_t i = 0, n = in[0].numel(); i < n; ++i) {
    sum[o] += x[i];
    for (size_t d = rank; d-- > 0;) {
      o += ostride[d];
      if (++idx[d] < s[d]) break;
      o -= ostride[d] * s[d];
      idx[d] = 0;
    }
  }
  double count = n_out > 0 ? static_cast<double>(in[0].numel()) / static_cast<double>(n_out) : 1.0;
  for (int64_t i = 0; i < n_out; ++i) y[i] = static_cast<float>(sum[i] / count);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_reduce_mean() {
  static const OpSchema s{Op::kReduceMean, 1, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
