// Greater: C = (A > B), bool, numpy broadcasting.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Greater.html (opsets 1, 7, 9, 13).
#include "ops/comparison.h"
#include "ops/op_schema.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  auto cmp = [&](auto tag) {
    using T = decltype(tag);
    const T* a = in[0].data<T>();
    const T* b = in[1].data<T>();
    auto* c = out[0].data<uint8_t>();
    for_each_broadcast_n(
        out[0].shape(), {in[0].shape(), in[1].shape()},
        [&](int64_t i, const std::vector<int64_t>& at) { c[i] = a[at[0]] > b[at[1]] ? 1 : 0; });
  };
  return visit_numeric(in[0].dtype(), cmp);
}
Status infer(Node& node) {
  return infer_comparison(node, run, false);
}
}  // namespace

const OpSchema& schema_greater() {
  static const OpSchema s{Op::kGreater, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
