// fp16: float32 initializers and Constant tensors become float16 and the graph computes in fp16, with
// Casts at the graph inputs and outputs so the model's interface stays float32 (as onnxconverter-common's
// convert_float_to_float16 with keep_io_types=True). Cast nodes to float32 inside the graph are retargeted
// to float16.
// ONNX Runtime's CPU execution provider lacks fp16 kernels for many ops (Conv among them on x86); its
// InsertCastTransformer then wraps those nodes in Casts to float32 and back at session creation, so the
// model still loads and runs in ORT (tests check this), computing those ops in fp32 on fp16-rounded values.
#include "core/half.h"
#include "quant/quant_util.h"

namespace inr::quant {

namespace {

constexpr int kOnnxFloat16 = 10;
constexpr int kOnnxFloat = 1;

Tensor to_f16(const Tensor& t) {
  Tensor h = Tensor::empty(DType::kF16, t.shape());
  const float* x = t.data<float>();
  uint16_t* y = h.data<uint16_t>();
  for (int64_t i = 0; i < t.numel(); ++i) y[i] = f32_to_f16(x[i]);
  return h;
}

}  // namespace

Result<std::unique_ptr<Graph>> quantize_fp16(const Graph& graph, QuantReport& report) {
  INR_TRY(check_not_quantized(graph));
  report.mode = "fp16";
  INR_ASSIGN_OR_RETURN(Graph g0, graph.clone());
  auto g = std::make_unique<Graph>(std::move(g0));
  g->rebuild_uses();
  // Initializers: every float32 constant becomes float16 (shape arithmetic is integer and is left alone).
  int converted = 0;
  for (const auto& v : g->values())
    if (v->is_constant() && v->constant.dtype() == DType::kF32) {
      v->constant = to_f16(v->constant);
      v->dtype = DType::kF16;
      ++converted;
    }
  for (const auto& n : g->nodes()) {
    if (n->op_type == "Constant" && n->has_attr("value") && n->attrs["value"].t.dtype() == DType::kF32)
      n->attrs["value"].t = to_f16(n->attrs["value"].t);
    if (n->op_type == "Cast" && n->attr_int("to", 0) == kOnnxFloat) n->attrs["to"] = Attr::of_int(kOnnxFloat16);
  }
  // Graph inputs: x (f32) -> Cast -> x_fp16, used everywhere x was.
  for (Value* in : g->inputs) {
    if (in->dtype != DType::kF32) continue;
    Value* h = g->add_value_unique(in->name + "_fp16");
    h->dtype = DType::kF16;
    std::vector<Node*> users = in->consumers;
    for (Node* c : users)
      for (auto& x : c->inputs)
        if (x == in) x = h;
    Node* cast = g->add_node(in->name + "_cast_to_fp16", "Cast", "", {in}, {h});
    cast->attrs["to"] = Attr::of_int(kOnnxFloat16);
    cast->attrs["_opset"] = Attr::of_int(g->opset);
  }
  // Graph outputs: the producer writes y_fp16, a Cast writes y (f32).
  for (Value*& out : g->outputs) {
    if (out->dtype != DType::kF32 || !out->producer) continue;
    Value* h = g->add_value_unique(out->name + "_fp16");
    h->dtype = DType::kF16;
    Node* p = out->producer;
    for (auto& o : p->outputs)
      if (o == out) o = h;
    h->producer = p;
    std::vector<Node*> users = out->consumers;
    for (Node* c : users)
      for (auto& x : c->inputs)
        if (x == out) x = h;
    Node* cast = g->add_node(out->name + "_cast_to_fp32", "Cast", "", {h}, {out});
    cast->attrs["to"] = Attr::of_int(kOnnxFloat);
    cast->attrs["_opset"] = Attr::of_int(g->opset);
  }
  g->rebuild_uses();
  INR_TRY(g->topo_sort());
  report.nodes_quantized = converted;  // initializers converted
  return g;
}

}  // namespace inr::quant
