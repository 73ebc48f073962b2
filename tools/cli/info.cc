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
// only when the graph is specialised to input shapes: do that for the declared shapes (dynamic dims as 1).
// The input shapes to check at, or why it is not checked.
struct RunCheck {
  std::vector<Shape> shapes;
  std::string at;     // "f32[1,3,224,224]"
  std::string skip;   // non-empty: not checked, and why
};
RunCheck run_check_shapes(const Graph& graph) {
  RunCheck rc;
  for (const Value* v : graph.inputs) {
    if (!v->has_shape) return {{}, {}, fmt::format("not checked (input '{}' declares no shape)", v->name)};
    // Small integer inputs key the plan by value (inr/session.h): not known here.
    if ((v->dtype == DType::kI64 || v->dtype == DType::kI32) && v->shape.size() <= 1)
      return {{}, {}, fmt::format("not checked (the shapes depend on the values of input '{}')", v->name)};
    Shape s = v->shape;
    for (int64_t& d : s) d = d < 0 ? 1 : d;
    rc.at += (rc.at.empty() ? "" : " ") + std::string(dtype_name(v->dtype)) + shape_str(s);
    rc.shapes.push_back(std::move(s));
  }
  return rc;
}

// The check loads the model as classify does, with the default session, once the description's graph is gone:
// the weights are held once (issue #16). Returns the placement.
Result<std::string> check_runs(const std::string& model, const RunCheck& rc) {
  if (!rc.skip.empty()) return rc.skip;
  SessionOptions options;
  options.compact_weights = true;  // whether it runs does not depend on it
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::load(model, options));
  auto placement = session->placement_summary(rc.shapes);
  if (!placement) return placement.status().with_context("cannot run at " + rc.at);
  return fmt::format("yes at {} ({})", rc.at, *placement);
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
    std::string out = fmt::format("model: {}\nproducer: {}\nir_version: {}\nopset ai.onnx: {}", *model,
                                  graph.producer_name, graph.ir_version, graph.opset);
    if (graph.opset_ms) out += fmt::format(", com.microsoft: {}", graph.opset_ms);
    out += "\n";
    for (const Value* v : graph.inputs)
      out += fmt::format("input:  {} {}{}\n", v->name, dtype_name(v->dtype), describe_shape(v->shape));
    for (const Value* v : graph.outputs)
      out += fmt::format("output: {} {}{}\n", v->name, dtype_name(v->dtype), describe_shape(v->shape));
    std::map<std::string, int> ops;
    for (const auto& n : graph.nodes()) ops[(n->domain.empty() ? "" : n->domain + ".") + n->op_type]++;
    out += fmt::format("nodes: {}\n", graph.nodes().size());
    for (const auto& [op, count] : ops) out += fmt::format("  {:<28} {}\n", op, count);
    const std::map<DType, ConstantTotals> by_dtype = constants_by_dtype(graph);
    int64_t params = 0;
    for (const auto& [dt, t] : by_dtype) params += t.values;
    out += fmt::format("parameters: {}\n", params);
    for (const auto& [dt, t] : by_dtype)
      out += fmt::format("  {:<6} {:>12} values {:>12} bytes\n", dtype_name(dt), t.values, t.bytes);
    const RunCheck rc = run_check_shapes(graph);
    g->reset();
    auto runs = check_runs(*model, rc);
    if (!runs) return fail(runs.status());
    std::printf("%s", out.c_str());
    std::printf("runs: %s\n", runs->c_str());
    return 0;
  };
  return c;
}

}  // namespace inr::cli
