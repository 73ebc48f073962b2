// AveragePool: the mean over each window. ONNX spec: https://onnx.ai/onnx/operators/onnx__AveragePool.html
// (opsets 7, 10, 11, 19). count_include_pad=0 divides by the taps inside the input; count_include_pad=1
// also counts taps in the explicit/auto padding, but never the part of a ceil_mode window that runs past
// the padded input (as ONNX Runtime and PyTorch do).
#include "ops/op_schema.h"
#include "ops/pool_util.h"

namespace inr {

namespace {
Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  int64_t cip = node.attr_int("count_include_pad", 0);
  if (cip != 0 && cip != 1) return error("count_include_pad {} must be 0 or 1", cip);
  INR_ASSIGN_OR_RETURN(WindowGeometry g, pool_geometry(node, x->shape));
  Shape out{x->shape[0], x->shape[1]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(WindowGeometry wg, pool_geometry(node, in[0].shape()));
  Window3 g = to_window3(wg);
  bool count_pad = node.attr_int("count_include_pad", 0) == 1;
  int64_t planes = in[0].dim(0) * in[0].dim(1);
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x + p * g.in_size();
    for (int64_t od = 0; od < g.out[0]; ++od)
      for (int64_t oh = 0; oh < g.out[1]; ++oh)
        for (int64_t ow = 0; ow < g.out[2]; ++ow) {
          double sum = 0;
          int64_t count = 0;
          for_each_tap(g, od, oh, ow, [&](int64_t off, bool inside, bool in_padded) {
            if (inside) sum += xp[off];
            count += count_pad ? in_padded : inside;
          });
          *y++ = count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.f;
        }
  }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_average_pool() {
  static const OpSchema s{Op::kAveragePool, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
