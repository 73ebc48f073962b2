// GlobalMaxPool: the maximum of each (n, c) plane; output [N, C, 1, ...].
// ONNX spec: https://onnx.ai/onnx/operators/onnx__GlobalMaxPool.html (opset 1).
#include <algorithm>
#include <limits>

#include "ops/op_schema.h"
#include "ops/op_util.h"
#include "ops/pool_util.h"

namespace inr {

namespace {

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  int64_t planes = s[0] * s[1];
  int64_t size = dims_product(s, 2, s.size());
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x + p * size;
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < size; ++i) m = std::max(m, xp[i]);
    y[p] = m;
  }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_global_max_pool() {
  static const OpSchema s{Op::kGlobalMaxPool, 1, 1, 1, 1, infer_global_pool, run};
  return s;
}

}  // namespace inr
