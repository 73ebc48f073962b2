// `inr info -m MODEL`: opsets, op histogram, parameters, bytes by dtype, inputs/outputs, and whether inr
// can run it: unsupported ops are named at import; anything else it lacks at the declared input shapes.
#include <map>

#include "command.h"
#include "inr/session.h"
#include "onnx/onnx_io.h"

namespace inr::cli {

namespace {
std::string describe_shape(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + (s[i] < 0 ? std::string("?") : std::to_string(s[i]));
  return out + "]";
}
// What inr lacks beyond op names (an attribute value or mode, a dtype, a shape it cannot work out) shows
// only when the graph is specialised to input shapes: do that for the declared shapes (dynamic dims as 1)
// with the default session. Returns the placement, or why it was not checked.
Result<std::string> check_runs(const Graph& graph) {
  std::vector<Shape> shapes;
  std::string at;
  for (const Value* v : graph.inputs) {
    if (!v->has_shape) return fmt::format("not checked (input '{}' declares no shape)", v->name);
    // Small integer inputs key the plan by value (inr/session.h): not known here.
    if ((v->dtype == DType::kI64 || v->dtype == DType::kI32) && v->shape.size() <= 1)
      return fmt::format("not checked (the shapes depend on the values of input '{}')", v->name);
    Shape s = v->shape;
    for (int64_t& d : s) d = d < 0 ? 1 : d;
    at += (at.empty() ? "" : " ") + std::string(dtype_name(v->dtype)) + shape_str(s);
    shapes.push_back(std::move(s));
  }
  INR_ASSIGN_OR_RETURN(Graph copy, graph.clone());
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(std::make_unique<Graph>(std::move(copy))));
  auto placement = session->placement_summary(shapes);
  if (!placement) return placement.status().with_context("cannot run at " + at);
  return fmt::format("yes at {} ({})", at, *placement);
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
    auto runs = check_runs(graph);
    if (!runs) return fail(runs.status());
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
    std::printf("runs: %s\n", runs->c_str());
    return 0;
  };
  return c;
}

}  // namespace inr::cli
