// Gelu: y = 0.5 x (1 + erf(x / sqrt(2))), or with approximate="tanh"
// y = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). ONNX spec:
// https://onnx.ai/onnx/operators/onnx__Gelu.html (opset 20). Opset-13 exports spell it out as
// Div/Erf/Add/Mul/Mul; passes/fuse_transformer.cc folds that pattern into this op.
#include <cmath>
#include <numbers>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
bool is_tanh(const Node& node) {
  return node.attr_string("approximate", "none") == "tanh";
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  if (is_tanh(node)) {
    const double k = std::sqrt(2.0 / std::numbers::pi);
    map_unary<float>(in[0], out[0], [k](float v) {
      double x = v;
      return static_cast<float>(0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x))));
    });
  } else {
    map_unary<float>(in[0], out[0], [](float v) {
      double x = v;
      return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2)));
    });
  }
  return Status::ok();
}

Status infer(Node& node) {
  std::string a = node.attr_string("approximate", "none");
  if (a != "none" && a != "tanh") return error("approximate '{}' is not 'none' or 'tanh'", a);
  return infer_unary_float(node);
}
}  // namespace

const OpSchema& schema_gelu() {
  static const OpSchema s{Op::kGelu, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
