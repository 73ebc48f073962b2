// fp16 graphs computed in fp32: every f16 initializer (and Constant value) is widened once, here, and the
// Casts that moved activations between f32 and f16 become f32->f32 no-ops (dropped by canonicalisation), so the graph runs without a single
// per-op cast and every backend's f32 kernels apply. Graph inputs and outputs keep their declared dtypes:
// an f16 graph input gets one Cast to f32 in front, an f16 output one Cast back at the end.
//
// Numerics: each op computes in f32 on f16-rounded weights instead of rounding every intermediate to f16,
// so results are at least as close to the fp32 model as ONNX Runtime's CPU execution of the same file.
// This is a legalisation (f32 kernels cannot read f16), not an optimisation: it runs at every -O level.
#include <algorithm>

#include "core/half.h"
#include "core/log.h"
#include "passes/passes.h"

namespace inr {

namespace {

Tensor widen(const Tensor& t) {
  Tensor out = Tensor::empty(DType::kF32, t.shape());
  const uint16_t* src = t.data<uint16_t>();
  float* dst = out.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) dst[i] = f16_to_f32(src[i]);
  return out;
}

constexpr int64_t kOnnxFloat = 1;    // TensorProto.FLOAT
constexpr int64_t kOnnxFloat16 = 10;  // TensorProto.FLOAT16

bool is_graph_io(const std::vector<Value*>& io, const Value* v) { return std::find(io.begin(), io.end(), v) != io.end(); }

}  // namespace

Status compute_fp16_in_fp32(Graph& g) {
  bool any = false;
  for (const auto& v : g.values()) any = any || v->dtype == DType::kF16;
  for (const auto& n : g.nodes())
    any = any || (n->op == Op::kCast && n->attr_int("to", 0) == kOnnxFloat16) ||
          (n->op == Op::kConstant && n->has_attr("value") && n->attrs.at("value").t.dtype() == DType::kF16);
  if (!any) return Status::ok();
  // Graphs whose f16 parts every op can already handle (DequantizeLinear with an f16 scale, Cast) run as
  // they are: only legalise when inference in f16 fails (Conv & co. have f32 kernels only).
  {
    INR_ASSIGN_OR_RETURN(Graph probe, g.clone());
    if (infer_shapes(probe, false).is_ok()) return Status::ok();
  }

  // Graph inputs/outputs keep their dtype: put one Cast at each f16 boundary.
  for (Value*& in : g.inputs) {
    if (in->dtype != DType::kF16) continue;
    Value* wide = g.add_value_unique(in->name + "_f32");
    wide->dtype = DType::kF32;
    std::vector<Node*> users = in->consumers;
    for (Node* u : users)
      for (Value*& x : u->inputs)
        if (x == in) x = wide;
    Node* c = g.add_node(in->name + "_to_f32", "Cast", "", {in}, {wide});
    c->attrs["to"] = Attr::of_int(kOnnxFloat);
    c->attrs["_opset"] = Attr::of_int(g.opset);
  }
  std::vector<Value*> f16_outputs;
  for (Value*& out : g.outputs) {
    if (out->dtype != DType::kF16 || out->is_constant()) continue;
    const std::string name = out->name;
    g.rename(out, name + "_f32");
    Value* narrow = g.add_value(name);  // the model's output name and dtype
    Node* c = g.add_node(narrow->name + "_to_f16", "Cast", "", {out}, {narrow});
    c->attrs["to"] = Attr::of_int(kOnnxFloat16);
    c->attrs["_opset"] = Attr::of_int(g.opset);
    narrow->dtype = DType::kF16;
    f16_outputs.push_back(narrow);
    out = narrow;
  }
  // Widen constants and every internal f16 value.
  int widened = 0;
  for (const auto& v : g.values()) {
    if (is_graph_io(g.inputs, v.get()) || std::find(f16_outputs.begin(), f16_outputs.end(), v.get()) != f16_outputs.end())
      continue;
    if (v->is_constant() && v->constant.dtype() == DType::kF16) v->constant = widen(v->constant), ++widened;
    if (v->dtype == DType::kF16) v->dtype = DType::kF32;
  }
  log_info("pass fp16 compute in fp32: {} f16 constants widened, f16 graph inputs/outputs kept with a Cast ({})",
           widened, f16_outputs.size() + static_cast<size_t>(std::count_if(g.inputs.begin(), g.inputs.end(),
                                                                            [](const Value* v) { return v->dtype == DType::kF16; })));
  for (const auto& n : g.nodes()) {
    if (n->op == Op::kConstant && n->has_attr("value") && n->attrs.at("value").t.dtype() == DType::kF16)
      n->attrs["value"] = Attr::of_tensor(widen(n->attrs.at("value").t));
    // Casts into f16 now target f32 (except the one producing an f16 graph output); after shape inference
    // every f32->f32 Cast is a no-op that canonicalisation removes (casts out of f16 read f32 values now).
    if (n->op == Op::kCast && n->attr_int("to", 0) == kOnnxFloat16 && !is_graph_io(g.outputs, n->outputs[0]))
      n->attrs["to"] = Attr::of_int(kOnnxFloat);
  }
  g.rebuild_uses();
  return g.topo_sort();
}

}  // namespace inr
