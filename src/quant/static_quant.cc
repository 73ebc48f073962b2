// Static int8 quantization: pick the nodes to quantize, calibrate their activations, narrow ranges through
// a following Relu/Clip(0, x) (which is then dropped, as ORT's QDQRemovableActivation does: a quantizer
// whose zero point is the type's minimum already clamps at 0 and at a range end <= the clip bound), and
// hand the plan to the QDQ or QOperator writer.
#include <algorithm>
#include <cmath>

#include "core/log.h"
#include "passes/passes.h"
#include "quant/ptq.h"
#include "quant/static_plan.h"

namespace inr::quant {

namespace {

bool is_one_of(const std::string& s, std::initializer_list<const char*> l) {
  return std::any_of(l.begin(), l.end(), [&](const char* x) { return s == x; });
}

// Known ops and why a node of one may not be quantizable ("" = fine).
std::string check_node(const Node* n, const Analysis& a, Format format) {
  const std::string& t = n->op_type;
  if (!n->domain.empty()) return "op domain " + n->domain + " is not quantized";
  if (n->outputs.empty() || !a.is_float_activation(n->outputs[0])) return "output is not a float activation";
  auto act = [&](size_t i) { return a.is_float_activation(n->input(i)); };
  if (t == "Conv") {
    if (!act(0)) return "input is not a float activation";
    if (!a.is_const(n->input(1)) || !n->input(1)->is_constant()) return "weight is not a constant";
    if (n->input(2) && !n->input(2)->is_constant()) return "bias is not a constant";
    return "";
  }
  if (t == "MatMul") {
    if (!act(0)) return "input A is not a float activation";
    Value* b = n->input(1);
    if (b->is_constant() ? b->constant.rank() != 2 || b->constant.dtype() != DType::kF32 : !act(1))
      return "input B is neither a 2-D float constant nor a float activation";
    return "";
  }
  if (t == "Gemm") {
    if (format == Format::kQop) return "no QOperator form for Gemm is written (use --format qdq)";
    if (!act(0) || !n->input(1) || !n->input(1)->is_constant()) return "needs an activation A and a constant B";
    if (n->attr_int("transA", 0) != 0) return "transA=1 is not quantized";
    if (n->attr_float("alpha", 1.f) != 1.f) return "alpha != 1 is not quantized";
    return "";
  }
  if (t == "Add" || t == "Mul") {
    for (size_t i = 0; i < 2; ++i) {
      Value* v = n->input(i);
      if (!v) return "missing input";
      if (v->is_constant() ? v->constant.dtype() != DType::kF32 : !act(i)) return "inputs are not float";
    }
    if (n->input(0)->is_constant() && n->input(1)->is_constant()) return "both inputs are constant";
    return "";
  }
  if (t == "Concat") {
    for (size_t i = 0; i < n->inputs.size(); ++i)
      if (!act(i)) return "an input is not a float activation";
    return "";
  }
  if (t == "GlobalAveragePool" || t == "AveragePool" || t == "MaxPool") {
    if (!act(0)) return "input is not a float activation";
    if (n->outputs.size() > 1 && n->outputs[1]) return "MaxPool indices output is not quantized";
    return "";
  }
  return "op type " + t + " has no int8 form in inr quantize";
}

// Clip/Relu after node n that a quantized output can absorb: Relu, or Clip with lower bound 0.
Node* absorbable_activation(const Node* n, const Graph& g) {
  if (!is_one_of(n->op_type, {"Conv", "MatMul", "Gemm", "Add"})) return nullptr;
  Value* out = n->outputs[0];
  if (out->consumers.size() != 1) return nullptr;
  if (std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end()) return nullptr;
  Node* c = out->consumers[0];
  if (!c->domain.empty()) return nullptr;
  if (c->op_type == "Relu") return c;
  if (c->op_type != "Clip") return nullptr;
  float lo;
  if (c->has_attr("min")) {
    lo = c->attr_float("min", -1.f);
  } else {
    Value* m = c->input(1);
    if (!m || !m->is_constant() || m->constant.dtype() != DType::kF32 || m->constant.numel() != 1) return nullptr;
    lo = m->constant.data<float>()[0];
  }
  Value* mx = c->input(2);
  if (mx && !mx->is_constant()) return nullptr;
  return lo == 0.f ? c : nullptr;
}

// Every name in the encodings is a tensor of the model: activations any value, params a constant.
Status check_encoding_names(const Graph& g, const QuantEncodings& e) {
  std::vector<std::string> missing_act, missing_param;
  for (const auto& [name, p] : e.activations)
    if (!g.find_value(name)) missing_act.push_back("'" + name + "'");
  for (const auto& [name, p] : e.params) {
    const Value* v = g.find_value(name);
    if (!v || !v->is_constant()) missing_param.push_back("'" + name + "'");
  }
  std::vector<std::string> problems;
  if (!missing_act.empty())
    problems.push_back(fmt::format("activation_encodings {} {} not a tensor of the model", fmt::join(missing_act, ", "),
                                   missing_act.size() == 1 ? "is" : "are"));
  if (!missing_param.empty())
    problems.push_back(fmt::format("param_encodings {} {} not an initializer of the model",
                                   fmt::join(missing_param, ", "), missing_param.size() == 1 ? "is" : "are"));
  if (problems.empty()) return Status::ok();
  return error("encodings: {}", fmt::join(problems, "; "));
}

}  // namespace

InputRole input_role(const Node* n, size_t i, const Analysis& a) {
  const std::string& t = n->op_type;
  Value* v = n->input(i);
  if (!v) return InputRole::kFloat;
  if (t == "Conv" || t == "Gemm") return i == 0 ? InputRole::kActivation : i == 1 ? InputRole::kWeight : InputRole::kBias;
  if (t == "MatMul") return i == 1 && v->is_constant() ? InputRole::kWeight : InputRole::kActivation;
  if (t == "Add" || t == "Mul") return v->is_constant() ? InputRole::kConstAct : InputRole::kActivation;
  return InputRole::kActivation;
}

int64_t weight_axis(const Node* n) {
  if (n->op_type == "Conv") return 0;
  if (n->op_type == "MatMul") return 1;
  if (n->op_type == "Gemm") return n->attr_int("transB", 0) ? 0 : 1;
  return -1;
}

std::vector<std::string> default_op_types(Mode mode, Format format) {
  if (mode == Mode::kDynamic) return {"Conv", "MatMul", "Gemm"};
  return {"Conv", "MatMul", "Gemm", "Add", "GlobalAveragePool", "AveragePool", "MaxPool", "Concat"};
}

namespace {

// Steps 1 and 2 of static quantization, shared by calibration alone (observe_static) and quantization from
// observers: the canonical graph, the nodes to quantize and the tensors whose ranges they need.
// AdaRound or bias correction asked for: both round the weights from the calibration images.
bool rounds_weights(const QuantOptions& o) { return o.ptq.adaround || !o.ptq.bias_correction.empty(); }

// The calibration split over shards (observer files) cannot round weights: that needs every image in one process.
Status refuse_split_weight_rounding(const QuantOptions& o) {
  if (!rounds_weights(o)) return Status::ok();
  return error("AdaRound and bias correction need every calibration image in one process: not with "
               "--calib-shard / --save-observers / --observers");
}

struct Selection {
  std::unique_ptr<Graph> g;
  Analysis a;
  std::unique_ptr<Calibrator> calibrator;
  StaticPlan plan;
  std::vector<Node*> selected;
  std::vector<std::string> observe;
  std::map<std::string, Tensor> original;  // weights before CLE, for the per-layer report
  BnStatsMap bn;  // BatchNorm statistics of the float graph before folding (ptq.h)
  std::set<std::string> keep8;  // node keys of the layers kept at 8 bits (--weight8)
};

Result<Selection> select_static(const Graph& graph, const QuantOptions& o, QuantReport& report) {
  INR_TRY(check_selection(graph, o.exclude, o.op_types));
  INR_TRY(check_not_quantized(graph));
  report.mode = o.format == Format::kQdq ? (o.weight_bits == 4 ? "static w4a8 (QDQ)" : "static int8 (QDQ)")
                                         : "static int8 (QOperator)";
  report.calibrator = o.calibrator;
  Selection sel;
  INR_ASSIGN_OR_RETURN(sel.calibrator, make_calibrator(o.calibrator, o.knobs));
  INR_ASSIGN_OR_RETURN(Graph g0, graph.clone());
  sel.g = std::make_unique<Graph>(std::move(g0));
  std::unique_ptr<Graph>& g = sel.g;
  g->rebuild_uses();
  sel.bn = collect_bn_stats(*g);  // before canonicalize folds the BatchNorms away
  INR_TRY(canonicalize(*g));
  g->rebuild_uses();
  const bool optimise = rounds_weights(o);
  if ((optimise || o.cle) && o.encodings) return error("--encodings gives every grid: it takes no --cle / --adaround / --bias-correction");
  if (optimise && (o.weight != DType::kI8 || o.reduce_range))
    return error("AdaRound and bias correction write symmetric s8/s4 weights: drop --weight u8 / --reduce-range / --target");
  if (o.cle) {
    for (const auto& up : g->nodes())
      if ((up->op_type == "Conv" || up->op_type == "Gemm" || up->op_type == "MatMul") && up->input(1) &&
          up->input(1)->is_constant())
        sel.original[node_key(up.get())] = up->input(1)->constant;
    INR_TRY(equalize(*g, report.cle, &sel.bn));
  }
  INR_ASSIGN_OR_RETURN(sel.a, analyse(*g));
  const Analysis& a = sel.a;
  std::vector<std::string> op_types = o.op_types.empty() ? default_op_types(o.mode, o.format) : o.op_types;

  StaticPlan& plan = sel.plan;
  plan.per_channel = o.per_channel;
  plan.act_spec = {o.act, o.symmetric_act, false};
  plan.weight_spec = {o.weight, o.weight == DType::kI8, o.reduce_range, o.weight == DType::kU8 && o.weight_zp128};
  INR_ASSIGN_OR_RETURN(bool four_bit, four_bit_weights(o.weight_bits));
  if (four_bit) {
    if (o.format != Format::kQdq)
      return error("--weight-bits 4 needs --format qdq (QLinearConv / QLinearMatMul take only 8-bit weights)");
    if (o.weight != DType::kI8 || o.reduce_range || o.weight_zp128)
      return error("--weight-bits 4 writes symmetric s4 weights; drop --weight u8 / --reduce-range / --target");
    plan.weight_spec = {DType::kI4, true, false, false};
  }

  // 1. Selection.
  std::vector<Node*>& selected = sel.selected;
  for (const auto& up : g->nodes()) {
    Node* n = up.get();
    bool listed = std::find(op_types.begin(), op_types.end(), n->op_type) != op_types.end();
    if (!listed) continue;
    if (node_matches(n, o.exclude)) {
      report.skipped.push_back(fmt::format("{}: excluded", n->label()));
      continue;
    }
    std::string why = check_node(n, a, o.format);
    if (!why.empty()) {
      // Shape arithmetic (integer Concat/Add...) is silently not a candidate; real float nodes warn.
      if (why.find("not a float") == std::string::npos && why.find("not float") == std::string::npos)
        report.skipped.push_back(fmt::format("{}: {}", n->label(), why));
      continue;
    }
    selected.push_back(n);
  }

  // 2. Tensors to observe: activation inputs and outputs, and the output of an absorbable Relu/Clip.
  std::vector<std::string>& observe = sel.observe;
  std::set<std::string> seen;
  auto want = [&](const Value* v) {
    if (v && seen.insert(v->name).second) observe.push_back(v->name);
  };
  for (Node* n : selected) {
    for (size_t i = 0; i < n->inputs.size(); ++i)
      if (input_role(n, i, a) == InputRole::kActivation) want(n->input(i));
    want(n->outputs[0]);
    if (Node* act = absorbable_activation(n, *g)) want(act->outputs[0]);
  }
  if (selected.empty()) return error("no node of types {} can be quantized in this model", fmt::join(op_types, ","));

  // 2b. Layers kept at 8 bits under 4-bit weights (--weight8): resolved to node keys; without AdaRound / bias
  // correction their 8-bit grid is fixed here (with them, optimize_weights rounds them onto it).
  if (!o.weight8.empty()) {
    if (!four_bit) return error("--weight8 keeps layers at 8 bits among 4-bit ones: it needs --weight-bits 4");
    std::vector<Node*> layers;
    for (Node* n : selected)
      if ((n->op_type == "Conv" || n->op_type == "Gemm" || n->op_type == "MatMul") && n->input(1) && n->input(1)->is_constant())
        layers.push_back(n);
    for (const std::string& name : o.weight8) {
      std::vector<Node*> hit;
      if (name == "first" && !layers.empty()) hit.push_back(layers.front());
      else if (name == "last" && !layers.empty()) hit.push_back(layers.back());
      else if (name == "depthwise")  // a Conv with one input channel per group: 9 weights per channel at 3x3
        for (Node* n : layers) {
          const Value* w = n->input(1);
          if (n->op_type == "Conv" && n->attr_int("group", 1) > 1 && w->constant.rank() >= 2 && w->constant.dim(1) == 1)
            hit.push_back(n);
        }
      else
        for (Node* n : layers)
          if (node_matches(n, {name})) hit.push_back(n);
      if (hit.empty() && name == "depthwise") return error("--weight8 depthwise: no quantized Conv is depthwise in this model");
      if (hit.empty()) return error("--weight8: no quantized Conv/Gemm/MatMul with a constant weight is named '{}'", name);
      for (Node* n : hit) sel.keep8.insert(node_key(n));
    }
    report.weight8.assign(sel.keep8.begin(), sel.keep8.end());
    if (!rounds_weights(o)) {
      const WeightGrid grid8 = WeightGrid::of_bits(8);
      for (Node* n : layers) {
        if (!sel.keep8.count(node_key(n))) continue;
        INR_ASSIGN_OR_RETURN(Layer l, make_layer(n, *g));
        plan.weights[l.weight->name] =
            weight_qparams(l, weight_scales(l.w, l.cout, l.k, o.per_channel, grid8), grid8, o.per_channel);
      }
    }
  }

  return sel;
}

// Steps 3 and 4 and the writer: the quantized graph from the selection and the observed statistics.
Result<std::unique_ptr<Graph>> finish_static(Selection sel, const QuantOptions& o,
                                             const std::map<std::string, Observer>& observers, QuantReport& report) {
  std::unique_ptr<Graph>& g = sel.g;
  const Analysis& a = sel.a;
  const std::unique_ptr<Calibrator>& calibrator = sel.calibrator;
  StaticPlan& plan = sel.plan;
  const std::vector<Node*>& selected = sel.selected;

  // 3. Absorb Relu/Clip(0, x) into the producer's quantized output.
  bool can_absorb = !o.symmetric_act;  // the zero point must be the type's minimum
  if (can_absorb) {
    for (Node* n : selected) {
      Node* act = absorbable_activation(n, *g);
      if (!act) continue;
      Value* out = act->outputs[0];
      g->remove_node(act);
      n->outputs[0] = out;
      out->producer = n;
    }
    g->remove_dead();
    g->rebuild_uses();
  }

  // 4. Parameters.
  for (Node* n : selected) {
    std::vector<const Value*> acts;
    for (size_t i = 0; i < n->inputs.size(); ++i)
      if (input_role(n, i, a) == InputRole::kActivation) acts.push_back(n->input(i));
    acts.push_back(n->outputs[0]);
    bool ok = true;
    if (o.encodings) {
      for (const Value* v : acts)
        if (ok && !o.encodings->activations.count(v->name)) {
          report.skipped.push_back(fmt::format("{}: no activation encoding for '{}'", n->label(), v->name));
          ok = false;
        }
      for (size_t i = 0; ok && i < n->inputs.size(); ++i) {
        if (input_role(n, i, a) != InputRole::kWeight) continue;
        const Value* w = n->inputs[i];
        auto it = o.encodings->params.find(w->name);
        if (it == o.encodings->params.end()) {
          report.skipped.push_back(fmt::format("{}: no param encoding for weight '{}'", n->label(), w->name));
          ok = false;
          break;
        }
        QParams p = it->second;
        p.axis = -1;
        if (p.scale.size() > 1) {
          p.axis = weight_axis(n);
          if (p.axis < 0 || p.axis >= w->constant.rank() || w->constant.dim(p.axis) != static_cast<int64_t>(p.scale.size()))
            return error("encodings: weight '{}' of {} has {} channel encodings; its shape {} has {} along the "
                         "channel axis {}", w->name, n->label(), p.scale.size(), shape_str(w->constant.shape()),
                         p.axis >= 0 && p.axis < w->constant.rank() ? w->constant.dim(p.axis) : 0, p.axis);
        }
        plan.weights[w->name] = p;
      }
      if (!ok) continue;
      for (const Value* v : acts) plan.act[v->name] = o.encodings->activations.at(v->name);
    } else {
      for (const Value* v : acts) {
        auto it = observers.find(v->name);
        if (it == observers.end() || it->second.minmax.empty()) {
          report.skipped.push_back(fmt::format("{}: no statistics for '{}'", n->label(), v->name));
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      // --target gemmini: the output of an op followed by Relu / Clip(0, x) takes the activation's range, so
      // DQ -> act -> Q is a clamp of the int8 values that the Gemmini backend folds (quantize.h, kGemmini).
      Node* act = o.target == Target::kGemmini ? absorbable_activation(n, *g) : nullptr;
      if (act && observers.count(act->outputs[0]->name) && !observers.at(act->outputs[0]->name).minmax.empty())
        plan.act[n->outputs[0]->name] =
            params_for_range(calibrator->compute_range(observers.at(act->outputs[0]->name)), plan.act_spec);
      for (const Value* v : acts)
        if (!plan.act.count(v->name))
          plan.act[v->name] = params_for_range(calibrator->compute_range(observers.at(v->name)), plan.act_spec);
    }
    if (n->op_type == "MaxPool") plan.act[n->outputs[0]->name] = plan.act[n->input(0)->name];
    plan.nodes.insert(n);
  }
  report.nodes_quantized = static_cast<int>(plan.nodes.size());
  // u8 activations x full-range s8 constant weights (Conv, Gemm, MatMul with a constant B): the products
  // ORT computes exactly only on VNNI/AMX CPUs.
  // Weights from --encodings count by their own type (an 8-bit AIMET grid is full range).
  if (plan.act_spec.dtype == DType::kU8)
    for (const Node* n : plan.nodes)
      for (size_t i = 0; i < n->inputs.size(); ++i)
        if (input_role(n, i, a) == InputRole::kWeight) {
          auto given = plan.weights.find(n->inputs[i]->name);
          bool full_s8 = given != plan.weights.end()
                             ? given->second.dtype == DType::kI8
                             : plan.weight_spec.dtype == DType::kI8 && !plan.weight_spec.reduce_range;
          report.full_range_u8s8 += full_s8;
          break;
        }
  if (std::any_of(plan.weights.begin(), plan.weights.end(), [](const auto& w) { return w.second.dtype == DType::kI4; }))
    report.mode = "static w4a8 (QDQ)";

  if (o.format == Format::kQdq) {
    report.encodings.activations = plan.act;
    INR_TRY(write_qdq(*g, plan, a, &report.encodings.params));
  } else {
    if (o.encodings) return error("--encodings builds a QDQ model (--format qdq)");
    INR_TRY(write_qop(*g, plan, a, report));
  }
  g->rebuild_uses();
  INR_TRY(g->topo_sort());
  return std::move(g);
}

}  // namespace

Result<CalibrationRun> observe_static(const Graph& graph, const QuantOptions& o, const CalibData& data,
                                      QuantReport& report) {
  INR_TRY(refuse_split_weight_rounding(o));
  INR_ASSIGN_OR_RETURN(Selection sel, select_static(graph, o, report));
  CalibrationRun run;
  run.tensors = sel.observe;
  INR_ASSIGN_OR_RETURN(run.observers,
                       calibrate(*sel.g, sel.observe, data, o.knobs.bins, sel.calibrator->needs_histogram(), report));
  return run;
}

Result<std::vector<std::string>> observed_tensors(const Graph& graph, const QuantOptions& o) {
  QuantReport report;
  INR_ASSIGN_OR_RETURN(Selection sel, select_static(graph, o, report));
  return sel.observe;
}

Result<std::unique_ptr<Graph>> quantize_static(const Graph& graph, const QuantOptions& o,
                                               const std::map<std::string, Observer>& observers, QuantReport& report) {
  INR_TRY(refuse_split_weight_rounding(o));
  INR_ASSIGN_OR_RETURN(Selection sel, select_static(graph, o, report));
  report.observed_tensors = observers.size();
  return finish_static(std::move(sel), o, observers, report);
}

Result<std::unique_ptr<Graph>> quantize_static(const Graph& graph, const QuantOptions& o, const CalibData& data,
                                               QuantReport& report) {
  INR_ASSIGN_OR_RETURN(Selection sel, select_static(graph, o, report));
  // Weight rounding (AdaRound / bias correction) before activation calibration.
  if (rounds_weights(o)) {
    std::vector<Node*> layers;
    for (Node* n : sel.selected)
      if ((n->op_type == "Conv" || n->op_type == "Gemm" || (n->op_type == "MatMul" && n->input(1)->is_constant())) &&
          make_layer(n, *sel.g))
        layers.push_back(n);
    PtqOptions po = o.ptq;
    po.per_channel = o.per_channel;
    po.weight_bits = o.weight_bits;
    po.keep8 = sel.keep8;
    // A model whose input has a fixed batch dim runs the layer passes at that batch size.
    const Value* in = sel.g->inputs.empty() ? nullptr : sel.g->inputs[0];
    const size_t fixed_batch = in && in->has_shape && !in->shape.empty() && in->shape[0] > 0
                                   ? static_cast<size_t>(in->shape[0]) : 0;
    INR_ASSIGN_OR_RETURN(ImageBatches images,
                         load_images(data.paths, o.ptq.images, data.spec, data.decode, fixed_batch));
    INR_TRY(optimize_weights(*sel.g, layers, images, po, sel.original, sel.plan.weights, report.layers, sel.bn));
  }
  std::map<std::string, Observer> observers;
  if (o.encodings) {  // ranges from an AIMET .encodings file: no calibration
    INR_TRY(check_encoding_names(*sel.g, *o.encodings));
    report.calibrator = "encodings";
  } else {
    INR_ASSIGN_OR_RETURN(observers, calibrate(*sel.g, sel.observe, data, o.knobs.bins,
                                              sel.calibrator->needs_histogram(), report));
  }
  return finish_static(std::move(sel), o, observers, report);
}

}  // namespace inr::quant
