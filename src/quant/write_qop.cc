// QOperator writer: the format of ORT's quantize_static(quant_format=QOperator) — each quantized node is
// replaced by its integer op, tensors between quantized nodes stay int8, and QuantizeLinear /
// DequantizeLinear appear only where float and int8 parts of the graph meet:
//   Conv -> QLinearConv (int32 bias, per-channel weight scales allowed), MatMul -> QLinearMatMul,
//   Add / Mul -> com.microsoft QLinearAdd / QLinearMul, GlobalAveragePool / AveragePool ->
//   com.microsoft QLinearGlobalAveragePool / QLinearAveragePool, Concat -> com.microsoft QLinearConcat,
//   MaxPool runs on the int8 tensor directly (same scale in and out).
#include <algorithm>

#include "quant/static_plan.h"

namespace inr::quant {

namespace {

struct QTensor {
  Value* q = nullptr;
  Value* scale = nullptr;
  Value* zp = nullptr;
};

}  // namespace

Status write_qop(Graph& g, const StaticPlan& plan, const Analysis& a, QuantReport& report) {
  if (g.opset < 10) return error("opset {} model: QOperator needs opset 10 or newer", g.opset);
  g.rebuild_uses();
  std::vector<Node*> nodes;
  for (const auto& up : g.nodes())
    if (plan.nodes.count(up.get())) nodes.push_back(up.get());
  const std::set<const Node*>& qset = plan.nodes;

  std::map<std::string, QTensor> qt;  // float tensor name -> its int8 form
  auto params_consts = [&](const std::string& name, const QParams& p, QTensor& t) {
    t.scale = g.add_constant(name + "_scale", params_scale_tensor(p));
    t.zp = g.add_constant(name + "_zero_point", params_zp_tensor(p));
  };
  // The int8 form of float activation v (QuantizeLinear when its producer is not quantized).
  auto quantized = [&](Value* v) -> QTensor {
    auto it = qt.find(v->name);
    if (it != qt.end()) return it->second;
    QTensor t;
    params_consts(v->name, plan.act.at(v->name), t);
    t.q = g.add_value_unique(v->name + "_quantized");
    t.q->dtype = plan.act.at(v->name).dtype;
    Node* qn = g.add_node(v->name + "_QuantizeLinear", "QuantizeLinear", "", {v, t.scale, t.zp}, {t.q});
    qn->attrs["_opset"] = Attr::of_int(g.opset);
    qt[v->name] = t;
    return t;
  };
  auto const_act = [&](Value* v) -> QTensor {
    float lo = 0, hi = 0;
    for (float x : v->constant.span<float>()) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    QParams p = params_for_range({lo, hi}, plan.act_spec);
    QTensor t;
    t.q = g.add_constant(v->name + "_quantized", quantize_with(v->constant, p));
    params_consts(v->name + "_quantized", p, t);
    return t;
  };
  bool uses_ms = false;

  for (Node* n : nodes) {
    const std::string& op = n->op_type;
    Value* out = n->outputs[0];
    QTensor y;
    const QParams& yp = plan.act.at(out->name);
    y.q = g.add_value_unique(out->name + "_quantized");
    y.q->dtype = yp.dtype;
    if (op == "MaxPool") {
      QTensor x = quantized(n->inputs[0]);
      y.scale = x.scale;
      y.zp = x.zp;
    } else {
      params_consts(out->name, yp, y);
    }
    std::vector<Value*> ins;
    std::string new_op = op, domain;
    std::map<std::string, Attr> attrs;
    for (const auto& [k, v] : n->attrs)
      if (k != "_opset") attrs[k] = v;
    if (op == "Conv" || op == "MatMul") {
      QTensor x = quantized(n->inputs[0]);
      QTensor w;
      QParams wp;
      Value* b = n->inputs[1];
      if (b->is_constant()) {
        int64_t axis = plan.per_channel ? weight_axis(n) : -1;
        w.q = g.add_constant(b->name + "_quantized", quantize_weight(b->constant, plan.weight_spec, axis, wp));
        params_consts(b->name, wp, w);
      } else {
        w = quantized(b);
      }
      ins = {x.q, x.scale, x.zp, w.q, w.scale, w.zp, y.scale, y.zp};
      new_op = op == "Conv" ? "QLinearConv" : "QLinearMatMul";
      if (op == "Conv" && n->input(2)) {
        const QParams& xp = plan.act.at(n->inputs[0]->name);
        ins.push_back(g.add_constant(n->inputs[2]->name + "_quantized", quantize_bias(n->inputs[2]->constant, xp.scale[0], wp.scale)));
      }
    } else if (op == "Add" || op == "Mul") {
      QTensor ta = n->inputs[0]->is_constant() ? const_act(n->inputs[0]) : quantized(n->inputs[0]);
      QTensor tb = n->inputs[1]->is_constant() ? const_act(n->inputs[1]) : quantized(n->inputs[1]);
      ins = {ta.q, ta.scale, ta.zp, tb.q, tb.scale, tb.zp, y.scale, y.zp};
      new_op = op == "Add" ? "QLinearAdd" : "QLinearMul";
      domain = "com.microsoft";
    } else if (op == "GlobalAveragePool" || op == "AveragePool") {
      QTensor x = quantized(n->inputs[0]);
      ins = {x.q, x.scale, x.zp, y.scale, y.zp};
      new_op = op == "GlobalAveragePool" ? "QLinearGlobalAveragePool" : "QLinearAveragePool";
      domain = "com.microsoft";
      if (op == "GlobalAveragePool") attrs["channels_last"] = Attr::of_int(0);
    } else if (op == "Concat") {
      ins = {y.scale, y.zp};
      for (Value* v : n->inputs) {
        QTensor x = quantized(v);
        ins.insert(ins.end(), {x.q, x.scale, x.zp});
      }
      new_op = "QLinearConcat";
      domain = "com.microsoft";
    } else if (op == "MaxPool") {
      ins = {quantized(n->inputs[0]).q};
    } else {
      return error("{}: no QOperator form", n->label());
    }
    uses_ms = uses_ms || !domain.empty();
    Node* qn = g.add_node(n->name.empty() ? out->name + "_quant" : n->name + "_quant", new_op, domain, ins, {y.q});
    qn->attrs = attrs;
    qn->attrs["_opset"] = Attr::of_int(domain.empty() ? g.opset : 1);
    qt[out->name] = y;
    // Float users of the output (unquantized nodes, graph outputs) read a DequantizeLinear of it.
    bool float_use = std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end();
    for (Node* c : out->consumers)
      if (!qset.count(c)) float_use = true;
    g.remove_node(n);
    if (float_use) {
      Node* dq = g.add_node(out->name + "_DequantizeLinear", "DequantizeLinear", "", {y.q, y.scale, y.zp}, {out});
      dq->attrs["_opset"] = Attr::of_int(g.opset);
    }
  }
  if (uses_ms && g.opset_ms < 1) g.opset_ms = 1;
  g.remove_dead();
  g.rebuild_uses();
  (void)report;
  (void)a;
  return Status::ok();
}

}  // namespace inr::quant
