// ai.onnx opsets 1..6 -> the form the op files implement (opset 7+). The ONNX changelog
// (https://github.com/onnx/onnx/blob/main/docs/Changelog.md) lists what changed at opset 7 and before;
// every change that touches an op inr knows is either a pure renaming, done here at import, or the legacy
// broadcast of the arithmetic ops, which needs A's rank and is rewritten at plan time
// (passes/legacy_broadcast.cc). The rest of inr never sees a legacy form.
//
//  - `consumed_inputs` (opset 1 of Add/Sub/Mul/Div/Sum/Relu/LeakyRelu/Sigmoid/HardSigmoid/Clip/
//    BatchNormalization/...): an in-place hint of the Caffe2 days with no effect on the result; dropped.
//  - BatchNormalization-1/6 and Dropout-1/6 `is_test`: removed at opset 7, whose ops are inference ops
//    unless training outputs are asked for (the ONNX version converter's 6->7 adapters drop it too).
//    BatchNormalization's `spatial` stays (opsets 7/8 have it; the op file refuses spatial = 0).
//  - Reshape-1 (to 4): the target shape is the `shape` attribute; from opset 5 it is input 1.
//  - Pad-1: `paddings` is Pad-2's `pads` (same layout: all begins, then all ends).
//  - Concat-1 (to 3): `axis` is optional with default 1; required from opset 4.
//  - Cast-1 (to 5): `to` is the data type's name ("FLOAT"); an enum value from opset 6.
//  - Gemm-1/6 `broadcast`: C broadcast to [M, N] when 1, C = [M, N] when 0; opset 7's unidirectional
//    broadcast accepts both, so the flag is dropped.
//  - Add/Sub/Mul/Div-1/6 `broadcast`/`axis`: B is matched against A's dims starting at `axis` (default:
//    trailing dims); kept for passes/legacy_broadcast.cc, which reshapes B once A's rank is known.
// Ops whose opset 1..6 versions only narrowed types or added defaults the later versions keep (Conv,
// MaxPool, AveragePool, LRN, Softmax, Flatten, Transpose, GlobalAveragePool, ...) need nothing.
#include <onnx/onnx_pb.h>

#include "onnx/legacy_opsets.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetReshapeShapeInput = 5;
constexpr int64_t kOpsetPadsNamed = 2;
constexpr int64_t kOpsetConcatAxisRequired = 4;
constexpr int64_t kOpsetCastEnum = 6;
constexpr int64_t kOpsetNumpyBroadcast = 7;
constexpr int64_t kConcatLegacyDefaultAxis = 1;
}  // namespace

Status upgrade_legacy_node(Graph& graph, Node& node, int64_t opset) {
  if (opset >= kOpsetNumpyBroadcast) return Status::ok();
  node.attrs.erase("consumed_inputs");
  switch (node.op) {
    case Op::kBatchNormalization:
    case Op::kDropout:
      node.attrs.erase("is_test");
      break;
    case Op::kGemm:
      node.attrs.erase("broadcast");
      break;
    case Op::kReshape:
      if (opset < kOpsetReshapeShapeInput) {
        if (node.inputs.size() != 1) return error("opset {} Reshape takes one input (the shape is an attribute)", opset);
        if (!node.has_attr("shape")) return error("opset {} Reshape needs the 'shape' attribute", opset);
        std::vector<int64_t> shape = node.attr_ints("shape");
        node.attrs.erase("shape");
        Value* v = graph.add_constant(node.name + "_legacy_shape",
                                      Tensor::from_vector(DType::kI64, {static_cast<int64_t>(shape.size())}, shape));
        node.inputs.push_back(v);
        v->consumers.push_back(&node);
      }
      break;
    case Op::kPad:
      if (opset < kOpsetPadsNamed && node.has_attr("paddings")) {
        node.attrs["pads"] = node.attrs["paddings"];
        node.attrs.erase("paddings");
      }
      break;
    case Op::kConcat:
      if (opset < kOpsetConcatAxisRequired && !node.has_attr("axis"))
        node.attrs["axis"] = Attr::of_int(kConcatLegacyDefaultAxis);
      break;
    case Op::kCast:
      if (opset < kOpsetCastEnum) {
        auto it = node.attrs.find("to");
        if (it != node.attrs.end() && it->second.kind == Attr::Kind::kString) {
          onnx::TensorProto::DataType t;
          if (!onnx::TensorProto::DataType_Parse(it->second.s, &t))
            return error("opset {} Cast: unknown data type name '{}' in 'to'", opset, it->second.s);
          it->second = Attr::of_int(static_cast<int64_t>(t));
        }
      }
      break;
    default:
      break;
  }
  return Status::ok();
}

}  // namespace inr
