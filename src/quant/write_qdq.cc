// QDQ writer: the format of ORT's quantize_static(quant_format=QDQ) — float ops stay, and every quantized
// tensor is wrapped in QuantizeLinear -> DequantizeLinear:
//   activations: Q/DQ pair (per tensor) on each input/output of a quantized node; every consumer of a
//                quantized node's output reads the DQ output (so float consumers see the same values the
//                int8 graph would give them); a graph output keeps its float value.
//   weights:     int8 initializer -> DequantizeLinear (axis = output channel when per-channel); with
//                --weight-bits 4 a packed INT4 initializer (opset 21, IR 10), zero point INT4 0;
//   bias:        int32 initializer, scale x_scale * w_scale, zero point 0 -> DequantizeLinear.
// ORT (and inr's QDQ passes) fuse DQ -> Conv -> Q into QLinearConv and so on.
#include <algorithm>
#include <set>

#include "quant/static_plan.h"

namespace inr::quant {

namespace {

Node* add_dq(Graph& g, Value* q, Value* scale, Value* zp, const std::string& out_hint, int64_t axis) {
  Value* out = g.add_value_unique(out_hint);
  out->dtype = DType::kF32;
  std::vector<Value*> ins = {q, scale};
  if (zp) ins.push_back(zp);
  Node* n = g.add_node(out_hint + "_node", "DequantizeLinear", "", ins, {out});
  if (axis >= 0) n->attrs["axis"] = Attr::of_int(axis);
  n->attrs["_opset"] = Attr::of_int(g.opset);
  return n;
}

void replace_input(Node* n, size_t i, Value* v) { n->inputs[i] = v; }

// The float tensor a DequantizeLinear output stands for ("x_DequantizeLinear_Output" -> "x").
std::string dq_source(const Value* v) {
  if (v->producer && v->producer->op_type == "DequantizeLinear" && v->producer->inputs[0]->producer &&
      v->producer->inputs[0]->producer->op_type == "QuantizeLinear")
    return v->producer->inputs[0]->producer->inputs[0]->name;
  return v->name;
}

}  // namespace

Status write_qdq(Graph& g, const StaticPlan& plan, const Analysis& a, std::map<std::string, QParams>* written) {
  bool per_axis = plan.per_channel, four_bit = plan.weight_spec.dtype == DType::kI4;
  for (const auto& [name, p] : plan.weights) {
    per_axis = per_axis || p.axis >= 0;
    four_bit = four_bit || p.dtype == DType::kI4 || p.dtype == DType::kU4;
  }
  if (per_axis) INR_TRY(upgrade_to_opset13(g));
  // INT4 weights need DequantizeLinear-21.
  if (four_bit) INR_TRY(upgrade_to_opset21(g));
  g.rebuild_uses();
  std::vector<Node*> nodes;
  for (const auto& up : g.nodes())
    if (plan.nodes.count(up.get())) nodes.push_back(up.get());

  // Activations, in graph order.
  std::map<std::string, Value*> dq_of;
  auto qdq_activation = [&](Value* v) -> Value* {
    auto it = dq_of.find(v->name);
    if (it != dq_of.end()) return it->second;
    const QParams& p = plan.act.at(v->name);
    Value* s = g.add_constant(v->name + "_scale", params_scale_tensor(p));
    Value* zp = g.add_constant(v->name + "_zero_point", params_zp_tensor(p));
    Value* q = g.add_value_unique(v->name + "_QuantizeLinear_Output");
    q->dtype = p.dtype;
    Node* qn = g.add_node(v->name + "_QuantizeLinear", "QuantizeLinear", "", {v, s, zp}, {q});
    qn->attrs["_opset"] = Attr::of_int(g.opset);
    Value* dq = add_dq(g, q, s, zp, v->name + "_DequantizeLinear_Output", -1)->outputs[0];
    dq_of[v->name] = dq;
    return dq;
  };

  struct QWeight {
    Value* dq = nullptr;
    QParams params;
  };
  std::map<std::string, QWeight> weight_cache;
  std::set<const Value*> dq_values;
  for (const auto& [name, v] : dq_of) dq_values.insert(v);
  for (Node* n : nodes) {
    const QParams* wparams = nullptr;
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      Value* v = n->inputs[i];
      if (!v) continue;
      switch (input_role(n, i, a)) {
        case InputRole::kActivation:
          if (!dq_values.count(v)) {
            Value* dq = qdq_activation(v);
            dq_values.insert(dq);
            replace_input(n, i, dq);
          }
          break;
        case InputRole::kWeight: {
          auto given = plan.weights.find(v->name);
          int64_t axis = given != plan.weights.end() ? given->second.axis : plan.per_channel ? weight_axis(n) : -1;
          std::string key = v->name + "#" + std::to_string(axis);
          if (!weight_cache.count(key)) {
            QWeight w;
            Tensor q;
            if (given != plan.weights.end()) {
              w.params = given->second;
              q = quantize_weight_with(v->constant, w.params);
            } else {
              q = quantize_weight(v->constant, plan.weight_spec, axis, w.params);
            }
            if (written) (*written)[v->name] = w.params;
            Value* qv = g.add_constant(v->name + "_quantized", q);
            Value* s = g.add_constant(v->name + "_scale", params_scale_tensor(w.params));
            Value* zp = g.add_constant(v->name + "_zero_point", params_zp_tensor(w.params));
            w.dq = add_dq(g, qv, s, zp, v->name + "_DequantizeLinear_Output", axis)->outputs[0];
            weight_cache[key] = w;
          }
          wparams = &weight_cache[key].params;
          replace_input(n, i, weight_cache[key].dq);
          break;
        }
        case InputRole::kBias: {
          // Only a 1-D bias of a quantized weight becomes int32; anything else stays float.
          if (!wparams || !v->is_constant() || v->constant.rank() != 1 || v->constant.dtype() != DType::kF32) break;
          if (n->op_type == "Gemm" && n->attr_float("beta", 1.f) != 1.f) break;
          const QParams& xp = plan.act.at(dq_source(n->inputs[0]));
          QParams bp;
          bp.dtype = DType::kI32;
          bp.axis = wparams->axis >= 0 ? 0 : -1;
          for (float ws : wparams->scale) bp.scale.push_back(xp.scale[0] * ws);
          bp.zero_point.assign(bp.scale.size(), 0);
          Value* qv = g.add_constant(v->name + "_quantized", quantize_bias(v->constant, xp.scale[0], wparams->scale));
          Value* s = g.add_constant(v->name + "_scale", params_scale_tensor(bp));
          replace_input(n, i, add_dq(g, qv, s, nullptr, v->name + "_DequantizeLinear_Output", bp.axis)->outputs[0]);
          break;
        }
        case InputRole::kConstAct: {
          float lo = 0, hi = 0;
          for (float x : v->constant.span<float>()) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
          }
          QParams p = params_for_range({lo, hi}, plan.act_spec);
          Value* qv = g.add_constant(v->name + "_quantized", quantize_with(v->constant, p));
          Value* s = g.add_constant(v->name + "_scale", params_scale_tensor(p));
          Value* zp = g.add_constant(v->name + "_zero_point", params_zp_tensor(p));
          replace_input(n, i, add_dq(g, qv, s, zp, v->name + "_DequantizeLinear_Output", -1)->outputs[0]);
          break;
        }
        case InputRole::kFloat: break;
      }
    }
    // Output: every consumer reads the dequantized value; a graph output keeps the float one.
    Value* out = n->outputs[0];
    std::vector<Node*> consumers = out->consumers;
    Value* dq = qdq_activation(out);
    dq_values.insert(dq);
    for (Node* c : consumers)
      for (auto& in : c->inputs)
        if (in == out) in = dq;
  }
  g.rebuild_uses();
  return Status::ok();
}

}  // namespace inr::quant
