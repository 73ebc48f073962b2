// ONNX <-> inr IR.
//
// Import accepts ModelProto ir_version 3..10 with ai.onnx opsets 1..(newest the ops support; 1..6 through legacy_opsets.h) and the
// com.microsoft domain; initializers as raw_data or typed fields, and external data whose path stays
// inside the model's directory. Every node gets a private int attribute "_opset" (the ai.onnx opset of
// the model) so op files can apply the right version's semantics. Unsupported ops are collected and
// reported together: "unsupported ops: Foo (node a, node b), Bar (node c)".
// Export writes the graph back as a ModelProto (private attributes are dropped) that ONNX Runtime loads.
#pragma once

#include <string>
#include <string_view>

#include "ir/graph.h"

namespace onnx {
class TensorProto;
class ModelProto;
}  // namespace onnx

namespace inr {

constexpr int64_t kMinIrVersion = 3;
constexpr int64_t kMaxIrVersion = 10;
constexpr int64_t kMinOpset = 1;  // 1..6 are rewritten at import (legacy_opsets.h)
constexpr int64_t kMaxOpset = 21;
// INT4 / UINT4 tensors (packed two per byte, low nibble first) need IR version 10 and, as DequantizeLinear /
// QuantizeLinear operands, opset 21 (ONNX 1.16). The exporter raises ir_version for them.
constexpr int64_t kIrVersion4Bit = 10;
constexpr int64_t kOpset4Bit = 21;
// The opset an opset 1..6 model is rewritten to at import and written back as.
constexpr int64_t kOpsetLegacyUpgraded = 7;

Result<std::unique_ptr<Graph>> import_onnx_file(const std::string& path);
// `base_dir` resolves external data; empty forbids external data.
Result<std::unique_ptr<Graph>> import_onnx_bytes(const std::string& bytes, const std::string& base_dir);

// TensorProto -> Tensor (raw_data or typed fields; external data resolved against base_dir). Errors start with
// `label` ("initializer 'w'"), by default "tensor '<name>'" (or "an unnamed tensor").
Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir = "",
                                 std::string_view label = {});
// A serialized TensorProto file (.pb); `name` receives the tensor's name when non-null.
Result<Tensor> read_tensor_pb(const std::string& path, std::string* name = nullptr);
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto);

// Graph -> ModelProto bytes / file (atomic write).
Result<std::string> export_onnx_bytes(const Graph& graph);
Status export_onnx_file(const Graph& graph, const std::string& path);

}  // namespace inr
