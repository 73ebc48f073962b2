// MaxPool: the maximum over each window; padding never wins (it is excluded, not -inf-filled input).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__MaxPool.html (opsets 8, 10, 11, 12): ceil_mode,
// dilations, auto_pad. Only storage_order 0 and no Indices output (not needed for inference).
#include <algorithm>
#include <limits>

#include "ops/op_schema.h"
#include "ops/pool_util.h"

namespace inr {

namespace {
Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32, DType::kI8, DType::kU8}, "input X"));
  if (node.attr_int("storage_order", 0) != 0) return error("storage_order {} is not supported (only 0)", node.attr_int("storage_order", 0));
  if (node.outputs.size() > 1 && node.outputs[1] != nullptr)
    return error("the Indices output is not supported");
  INR_ASSIGN_OR_RETURN(WindowGeometry g, pool_geometry(node, x->shape));
  Shape out{x->shape[0], x->shape[1]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

template <typename T>
void max_pool(const Window3& g, int64_t planes, const T* x, T* y) {
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * g.in_size();
    T* yp = y + p * g.out_size();
    for (int64_t od = 0; od < g.out[0]; ++od)
      for (int64_t oh = 0; oh < g.out[1]; ++oh)
        for (int64_t ow = 0; ow < g.out[2]; ++ow) {
          // A window entirely in the padding (possible only with pads >= kernel) yields the lowest value.
          T m = std::numeric_limits<T>::lowest();
          if constexpr (std::numeric_limits<T>::has_infinity) m = -std::numeric_limits<T>::infinity();
          for_each_tap(g, od, oh, ow, [&](int64_t off, bool inside, bool) {
            if (inside) m = std::max(m, xp[off]);
          });
          *yp++ = m;
        }
  }
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(WindowGeometry wg, pool_geometry(node, in[0].shape()));
  Window3 g = to_window3(wg);
  int64_t planes = in[0].dim(0) * in[0].dim(1);
  switch (in[0].dtype()) {
    case DType::kI8: max_pool(g, planes, in[0].data<int8_t>(), out[0].data<int8_t>()); break;
    case DType::kU8: max_pool(g, planes, in[0].data<uint8_t>(), out[0].data<uint8_t>()); break;
    default: max_pool(g, planes, in[0].data<float>(), out[0].data<float>()); break;
  }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_max_pool() {
  static const OpSchema s{Op::kMaxPool, 1, 1, 1, 2, infer, run};
  return s;
}

}  // namespace inr
