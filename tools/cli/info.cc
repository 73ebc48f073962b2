// `inr info -m MODEL`: opsets, op histogram, parameters, bytes by dtype, inputs/outputs.
#include <map>

#include "command.h"
#include "onnx/onnx_io.h"

namespace inr::cli {

namespace {
std::string describe_shape(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + (s[i] < 0 ? std::string("?") : std::to_string(s[i]));
  return out + "]";
}
}  // namespace

Command make_info_command(CLI::App& parent) {
  auto model = std::make_shared<std::string>();
  Command c;
  c.app = parent.add_subcommand("info", "Describe an ONNX model: opsets, ops, parameters, inputs and outputs");
  c.app->add_option("-m,--model", *model, "ONNX model file")->required();
  c.run = [model] {
    auto g = import_onnx_file(*model);
    if (!g) return fail(g.status());
    const Graph& graph = **g;
    std::printf("model: %s\nproducer: %s\nir_version: %ld\nopset ai.onnx: %ld", model->c_str(),
                graph.producer_name.c_str(), static_cast<long>(graph.ir_version), static_cast<long>(graph.opset));
    if (graph.opset_ms) std::printf(", com.microsoft: %ld", static_cast<long>(graph.opset_ms));
    std::printf("\n");
    for (const Value* v : graph.inputs)
      std::printf("input:  %s %s%s\n", v->name.c_str(), std::string(dtype_name(v->dtype)).c_str(),
                  describe_shape(v->shape).c_str());
    for (const Value* v : graph.outputs)
      std::printf("output: %s %s%s\n", v->name.c_str(), std::string(dtype_name(v->dtype)).c_str(),
                  describe_shape(v->shape).c_str());
    std::map<std::string, int> ops;
    for (const auto& n : graph.nodes()) ops[(n->domain.empty() ? "" : n->domain + ".") + n->op_type]++;
    std::printf("nodes: %zu\n", graph.nodes().size());
    for (const auto& [op, count] : ops) std::printf("  %-28s %d\n", op.c_str(), count);
    const std::map<DType, ConstantTotals> by_dtype = constants_by_dtype(graph);
    int64_t params = 0;
    for (const auto& [dt, t] : by_dtype) params += t.values;
    std::printf("parameters: %ld\n", static_cast<long>(params));
    for (const auto& [dt, t] : by_dtype)
      std::printf("  %-6s %12ld values %12zu bytes\n", std::string(dtype_name(dt)).c_str(), static_cast<long>(t.values),
                  t.bytes);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
