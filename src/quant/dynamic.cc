// Dynamic int8: weights are quantized offline, activations at run time per tensor with
// DynamicQuantizeLinear (u8, asymmetric), as ORT's quantize_dynamic writes it (onnx_quantizer.py with
// IntegerOps: MatMulInteger / ConvInteger):
//   x -> DynamicQuantizeLinear -> (x_q, x_scale, x_zp)
//   MatMul: MatMulInteger(x_q, w_q, x_zp, w_zp) -> Cast(float) -> Mul(x_scale * w_scale)
//   Conv:   ConvInteger(x_q, w_q, x_zp, w_zp)   -> Cast(float) -> Mul(x_scale * w_scale[1,M,1,1]) [-> Add(b)]
//   Gemm:   as MatMul with w = B (transposed once when transB) [-> Add(C)]
// ORT's quantize_dynamic leaves Gemm in float; inr also quantizes a plain Gemm (alpha = beta = 1, no transA,
// constant B and C), the classifier of most CNNs, so the weights shrink 4x like the rest (pass
// --op-types Conv,MatMul for ORT's choice). The result is standard ONNX that ORT runs.
// ORT's CPU ConvInteger takes uint8 weights with one zero point only, so Conv weights are symmetric u8
// (zero point 128, per-channel scales allowed) whatever --weight says; MatMul weights follow --weight.
// Targets (quantize.h): DynamicQuantizeLinear's activations are u8, so MatMul/Gemm weights are s8 full
// range (vnni), s8 7-bit (avx2) or u8 = s8 + 128 (portable). Conv (ConvInteger u8 x u8, exact on every
// CPU) keeps 8-bit weights under every target; only an explicit --reduce-range without a target narrows it.
#include <algorithm>

#include "passes/passes.h"
#include "quant/quant_util.h"

namespace inr::quant {

namespace {

constexpr int kOnnxFloat = 1;

Node* add(Graph& g, const std::string& name, const std::string& op, std::vector<Value*> ins, std::vector<Value*> outs) {
  Node* n = g.add_node(name, op, "", std::move(ins), std::move(outs));
  n->attrs["_opset"] = Attr::of_int(g.opset);
  return n;
}

// [K, N] copy of a [N, K] f32 matrix.
Tensor transposed_2d(const Tensor& w) {
  int64_t rows = w.dim(0), cols = w.dim(1);
  Tensor t = Tensor::empty(DType::kF32, {cols, rows});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) t.data<float>()[c * rows + r] = w.data<float>()[r * cols + c];
  return t;
}

}  // namespace

Result<std::unique_ptr<Graph>> quantize_dynamic(const Graph& graph, const QuantOptions& o, QuantReport& report) {
  INR_TRY(check_selection(graph, o.exclude, o.op_types));
  INR_TRY(check_not_quantized(graph));
  report.mode = "dynamic int8";
  INR_ASSIGN_OR_RETURN(Graph g0, graph.clone());
  auto g = std::make_unique<Graph>(std::move(g0));
  INR_TRY(canonicalize(*g));
  g->rebuild_uses();
  if (g->opset < 11) return error("opset {} model: DynamicQuantizeLinear needs opset 11 or newer", g->opset);
  INR_ASSIGN_OR_RETURN(Analysis a, analyse(*g));
  std::vector<std::string> op_types = o.op_types.empty() ? default_op_types(Mode::kDynamic, o.format) : o.op_types;

  struct DynQ {
    Value *q, *scale, *zp;
  };
  std::map<std::string, DynQ> dyn;
  auto dynamic_q = [&](Value* x) -> DynQ {
    auto it = dyn.find(x->name);
    if (it != dyn.end()) return it->second;
    DynQ d;
    d.q = g->add_value_unique(x->name + "_quantized");
    d.scale = g->add_value_unique(x->name + "_scale");
    d.zp = g->add_value_unique(x->name + "_zero_point");
    add(*g, x->name + "_DynamicQuantizeLinear", "DynamicQuantizeLinear", {x}, {d.q, d.scale, d.zp});
    dyn[x->name] = d;
    return d;
  };

  std::vector<Node*> nodes;
  for (const auto& up : g->nodes()) nodes.push_back(up.get());
  for (Node* n : nodes) {
    const std::string& t = n->op_type;
    if (std::find(op_types.begin(), op_types.end(), t) == op_types.end()) continue;
    if (node_matches(n, o.exclude)) {
      report.skipped.push_back(fmt::format("{}: excluded", n->label()));
      continue;
    }
    if (t != "MatMul" && t != "Conv" && t != "Gemm") {
      report.skipped.push_back(fmt::format("{}: op type {} has no dynamic int8 form (MatMul, Conv, Gemm)", n->label(), t));
      continue;
    }
    bool gemm = t == "Gemm";
    if (gemm) {
      const Value* c = n->input(2);
      int64_t cols = n->input(1) && n->input(1)->has_shape && n->input(1)->shape.size() == 2
                         ? n->input(1)->shape[n->attr_int("transB", 0) ? 0 : 1]
                         : -1;
      // (Gemm's A is 2-D by definition.)
      bool plain = n->attr_int("transA", 0) == 0 && n->attr_float("alpha", 1.f) == 1.f &&
                   n->attr_float("beta", 1.f) == 1.f;
      bool c_ok = !c || (c->is_constant() && c->constant.dtype() == DType::kF32 && c->constant.numel() == cols &&
                         c->constant.shape().back() == cols);
      if (!plain || !c_ok) {
        report.skipped.push_back(
            fmt::format("{}: only Gemm with alpha = beta = 1, no transA and a constant [N] bias", n->label()));
        continue;
      }
    }
    Value* x = n->input(0);
    Value* w = n->input(1);
    if (!a.is_float_activation(x) || !w || !w->is_constant() || w->constant.dtype() != DType::kF32) {
      report.skipped.push_back(fmt::format("{}: needs a float activation and a float constant weight", n->label()));
      continue;
    }
    bool conv = t == "Conv";
    Tensor wf = w->constant;
    if (gemm && n->attr_int("transB", 0)) wf = transposed_2d(wf);
    if (!conv && wf.rank() != 2) {
      report.skipped.push_back(fmt::format("{}: weight is not 2-D", n->label()));
      continue;
    }
    if (conv && n->input(2) && !n->input(2)->is_constant()) {
      report.skipped.push_back(fmt::format("{}: bias is not constant", n->label()));
      continue;
    }
    int64_t axis = o.per_channel ? (conv ? 0 : 1) : -1;
    bool conv_reduce = o.reduce_range && o.target == Target::kNone;
    QRangeSpec ws = conv ? QRangeSpec{DType::kU8, true, conv_reduce}
                         : QRangeSpec{o.weight, o.weight == DType::kI8, o.reduce_range,
                                      o.weight == DType::kU8 && o.weight_zp128};
    if (ws.dtype == DType::kI8 && !ws.reduce_range) ++report.full_range_u8s8;
    QParams wp;
    Tensor wq = quantize_weight(wf, ws, axis, wp);
    Value* wqv = g->add_constant(w->name + (gemm && n->attr_int("transB", 0) ? "_transposed_quantized" : "_quantized"), wq);
    // Zero point: one value (symmetric types give the same zero point on every channel).
    QParams zp1 = wp;
    zp1.axis = -1;
    zp1.zero_point.resize(1);
    bool same_zp = std::all_of(wp.zero_point.begin(), wp.zero_point.end(), [&](int32_t z) { return z == wp.zero_point[0]; });
    Value* wzp = g->add_constant(w->name + "_zero_point", same_zp ? params_zp_tensor(zp1) : params_zp_tensor(wp));
    Tensor wscale = params_scale_tensor(wp);
    if (conv && axis >= 0) wscale = wscale.reshaped({static_cast<int64_t>(wp.scale.size()), 1, 1});
    Value* wsv = g->add_constant(w->name + "_scale", wscale);

    DynQ d = dynamic_q(x);
    Value* out = n->outputs[0];
    Value* acc = g->add_value_unique(out->name + "_output_quantized");
    Node* in = add(*g, n->name + "_quant", conv ? "ConvInteger" : "MatMulInteger", {d.q, wqv, d.zp, wzp}, {acc});
    if (conv)
      for (const auto& [k, v] : n->attrs)
        if (k != "_opset") in->attrs[k] = v;
    Value* accf = g->add_value_unique(out->name + "_output_quantized_cast");
    add(*g, n->name + "_cast", "Cast", {acc}, {accf})->attrs["to"] = Attr::of_int(kOnnxFloat);
    Value* sc = g->add_value_unique(out->name + "_scales_mul");
    add(*g, n->name + "_scales_mul", "Mul", {d.scale, wsv}, {sc});
    Value* bias = conv || gemm ? n->input(2) : nullptr;
    Value* mul_out = bias ? g->add_value_unique(out->name + "_no_bias") : out;
    g->remove_node(n);
    add(*g, out->name + "_output_scale_mul", "Mul", {accf, sc}, {mul_out});
    if (bias) {
      Tensor b = conv ? bias->constant.reshaped({bias->constant.numel(), 1, 1}) : bias->constant.reshaped({bias->constant.numel()});
      add(*g, out->name + "_bias_add", "Add", {mul_out, g->add_constant(bias->name + "_reshaped", b)}, {out});
    }
    ++report.nodes_quantized;
  }
  g->remove_dead();
  g->rebuild_uses();
  INR_TRY(g->topo_sort());
  return g;
}

}  // namespace inr::quant
