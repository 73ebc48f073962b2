// QDQ -> QLinearConv / QLinearMatMul; see quant_qdq.h for the patterns and the equality that holds.
#include "passes/quant_qdq.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "core/log.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"

namespace inr {

namespace {

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}
bool single_private_use(const Graph& g, const Value* v) { return v->consumers.size() == 1 && !is_graph_output(g, v); }
bool is_const(const Value* v) { return v != nullptr && v->is_constant(); }
bool per_tensor(const Value* v) { return v == nullptr || shape_numel(v->shape) == 1; }

// A DequantizeLinear whose scale (and zero point, when present) are constants.
Node* dq_of(const Value* v) {
  Node* n = v ? v->producer : nullptr;
  if (n == nullptr || n->op != Op::kDequantizeLinear) return nullptr;
  if (!is_const(n->input(1)) || (n->input(2) && !is_const(n->input(2)))) return nullptr;
  if (n->input(1)->dtype != DType::kF32 || n->attr_int("block_size", 0) != 0) return nullptr;
  return n;
}

// The zero point input of a Q/DQ node, or a new constant 0 of `dtype` when it is absent.
Value* zero_point_or_zero(Graph& g, Node* n, DType dtype) {
  if (Value* zp = n->input(2)) return zp;
  Value* z = g.add_value_unique(n->name + "_zero_point");
  z->dtype = dtype;
  z->shape = {};
  z->has_shape = true;
  z->constant = Tensor::zeros(dtype, {});
  return z;
}

float scalar_of(const Value* v) { return load_scale(v->constant, 0); }
int32_t zp_scalar(const Value* v) { return v ? load_qint(v->constant, 0) : 0; }

// Folding an activation into the Q is exact when the activation changes nothing the saturation would not:
// quantize(lo) is the range minimum and quantize(hi) the maximum (see quant_qdq.h).
bool activation_is_saturation(const Node& act, const Node& q) {
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (act.op == Op::kRelu) {
    lo = 0.f;
  } else if (act.op == Op::kClip) {
    if (node_opset(act) < 11) {
      lo = act.attr_float("min", lo);
      hi = act.attr_float("max", hi);
    } else {
      for (size_t i = 1; i <= 2; ++i) {
        const Value* v = act.input(i);
        if (!v) continue;
        if (!is_const(v) || v->constant.numel() != 1 || v->dtype != DType::kF32) return false;
        (i == 1 ? lo : hi) = v->constant.data<float>()[0];
      }
    }
  } else {
    return false;
  }
  DType t = q.outputs[0]->dtype;
  QRange r = qrange(t);
  float s = scalar_of(q.inputs[1]);
  int32_t zp = zp_scalar(q.input(2));
  bool lo_ok = std::isinf(lo) || quantize_value(lo / s, zp, r) == r.lo;
  bool hi_ok = std::isinf(hi) || quantize_value(hi / s, zp, r) == r.hi;
  return lo_ok && hi_ok;
}

// The Q ending the pattern that starts at `out` (optionally through a foldable activation), or nullptr.
Node* quantize_after(const Graph& g, Value* out, Node** activation) {
  *activation = nullptr;
  if (!single_private_use(g, out)) return nullptr;
  Node* next = out->consumers[0];
  if (next->op == Op::kRelu || next->op == Op::kClip) {
    if (next->inputs[0] != out || !single_private_use(g, next->outputs[0])) return nullptr;
    *activation = next;
    next = next->outputs[0]->consumers[0];
  }
  if (next->op != Op::kQuantizeLinear || !is_const(next->input(1)) || (next->input(2) && !is_const(next->input(2))))
    return nullptr;
  if (!per_tensor(next->input(1)) || !is_q8(next->outputs[0]->dtype) || next->input(1)->dtype != DType::kF32) return nullptr;
  if (*activation && !activation_is_saturation(**activation, *next)) return nullptr;
  return next;
}

void remove_chain(Graph& g, Node* op, Node* act, Node* q) {
  g.remove_node(q);
  if (act) g.remove_node(act);
  g.remove_node(op);
}

// The DQ's scale is per tensor, or per axis `axis` of its input with `count` values.
bool scales_per_tensor_or_along(const Node* dq, int64_t axis, int64_t count) {
  int64_t scales = shape_numel(dq->inputs[1]->shape);
  if (scales == 1) return true;
  auto a = normalize_axis(dq->attr_int("axis", 1), static_cast<int64_t>(dq->inputs[0]->shape.size()));
  return a.is_ok() && *a == axis && scales == count;
}

// The DequantizeLinear of a constant int32 bias with zero point 0, or nullptr.
Node* int32_bias_dq(Value* b) {
  Node* db = dq_of(b);
  if (!db || db->inputs[0]->dtype != DType::kI32 || !is_const(db->inputs[0]) || zp_scalar(db->input(2)) != 0)
    return nullptr;
  return db;
}

// The bias scale is in_scale * w_scale[j] for each of the n output channels (what QLinearConv and QGemm
// assume for their int32 bias), to float rounding.
bool bias_scale_is(const Node* db, float in_scale, const Node* dw, int64_t n) {
  const Tensor& sb = db->inputs[1]->constant;
  const Tensor& sw = dw->inputs[1]->constant;
  for (int64_t j = 0; j < n; ++j) {
    float want = in_scale * load_scale(sw, sw.numel() == 1 ? 0 : j);
    float have = load_scale(sb, sb.numel() == 1 ? 0 : j);
    if (std::abs(have - want) > 1e-6f * std::abs(want)) return false;
  }
  return true;
}

// The first six inputs of the integer op, from the DQs of its two operands: a, a_scale, a_zp, b, b_scale,
// b_zp (a zero point of 0 is made when a DQ has none).
std::vector<Value*> operand_inputs(Graph& g, Node* da, Node* db) {
  return {da->inputs[0], da->inputs[1], zero_point_or_zero(g, da, da->inputs[0]->dtype),
          db->inputs[0], db->inputs[1], zero_point_or_zero(g, db, db->inputs[0]->dtype)};
}

bool try_conv(Graph& g, Node* conv) {
  Node* dx = dq_of(conv->inputs[0]);
  Node* dw = dq_of(conv->inputs[1]);
  if (!dx || !dw || !is_q8(dx->inputs[0]->dtype) || !is_q8(dw->inputs[0]->dtype) || !is_const(dw->inputs[0])) return false;
  if (!per_tensor(dx->inputs[1]) || !per_tensor(dx->input(2))) return false;
  int64_t m = dw->inputs[0]->shape[0];
  if (!scales_per_tensor_or_along(dw, 0, m)) return false;
  Node* db = nullptr;
  if (Value* b = conv->input(2)) {
    db = int32_bias_dq(b);
    if (!db || !bias_scale_is(db, scalar_of(dx->inputs[1]), dw, m)) return false;
  }
  Node* act = nullptr;
  Node* q = quantize_after(g, conv->outputs[0], &act);
  if (!q) return false;
  Value* y = q->outputs[0];
  std::vector<Value*> ins = operand_inputs(g, dx, dw);
  ins.push_back(q->inputs[1]);
  ins.push_back(zero_point_or_zero(g, q, y->dtype));
  if (db) ins.push_back(db->inputs[0]);
  std::string name = conv->name;
  auto attrs = conv->attrs;
  remove_chain(g, conv, act, q);
  Node* n = g.add_node(name, "QLinearConv", "", ins, {y});
  n->attrs = attrs;
  return true;
}

bool try_matmul(Graph& g, Node* mm) {
  Node* da = dq_of(mm->inputs[0]);
  Node* dbn = dq_of(mm->inputs[1]);
  if (!da || !dbn || !is_q8(da->inputs[0]->dtype) || !is_q8(dbn->inputs[0]->dtype)) return false;
  if (!per_tensor(da->inputs[1]) || !per_tensor(da->input(2))) return false;
  const Shape& bs = dbn->inputs[0]->shape;
  if (!scales_per_tensor_or_along(dbn, 1, bs.size() == 2 ? bs[1] : -1)) return false;  // per column of a 2-D b
  Node* act = nullptr;
  Node* q = quantize_after(g, mm->outputs[0], &act);
  if (!q || act) return false;
  Value* y = q->outputs[0];
  std::vector<Value*> ins = operand_inputs(g, da, dbn);
  ins.push_back(q->inputs[1]);
  ins.push_back(zero_point_or_zero(g, q, y->dtype));
  std::string name = mm->name;
  remove_chain(g, mm, nullptr, q);
  g.add_node(name, "QLinearMatMul", "", ins, {y});
  return true;
}

// DQ(a), DQ(B) [, DQ(C int32)] -> Gemm -> Q into com.microsoft QGemm, as ONNX Runtime's QDQ fusion does.
bool try_gemm(Graph& g, Node* gemm) {
  Node* da = dq_of(gemm->inputs[0]);
  Node* db = dq_of(gemm->inputs[1]);
  if (!da || !db || !is_q8(da->inputs[0]->dtype) || !is_q8(db->inputs[0]->dtype) || !is_const(db->inputs[0])) return false;
  if (!per_tensor(da->inputs[1]) || !per_tensor(da->input(2))) return false;
  if (gemm->attr_float("beta", 1.f) != 1.f) return false;
  const Shape& bs = db->inputs[0]->shape;
  if (bs.size() != 2) return false;
  bool trans_b = gemm->attr_int("transB", 0) != 0;
  int64_t n = trans_b ? bs[0] : bs[1];
  if (!scales_per_tensor_or_along(db, trans_b ? 0 : 1, n)) return false;  // per output column
  Node* dc = nullptr;
  if (Value* c = gemm->input(2)) {  // C's scale: alpha * a_scale * b_scale[j] (what QGemm assumes)
    dc = int32_bias_dq(c);
    if (!dc || !bias_scale_is(dc, gemm->attr_float("alpha", 1.f) * scalar_of(da->inputs[1]), db, n)) return false;
  }
  // Only with a Q after it: ORT leaves a float-output DQ -> Gemm (a classifier's last layer) in float, and so
  // does inr, to give the same logits.
  Node* act = nullptr;
  Node* q = quantize_after(g, gemm->outputs[0], &act);
  if (!q || act) return false;
  Value* y = q->outputs[0];
  std::vector<Value*> ins = operand_inputs(g, da, db);
  ins.push_back(dc ? dc->inputs[0] : nullptr);
  ins.push_back(q->inputs[1]);
  ins.push_back(zero_point_or_zero(g, q, y->dtype));
  std::string name = gemm->name;
  auto attrs = gemm->attrs;
  attrs.erase("beta");
  attrs.erase("_opset");
  g.remove_node(q);
  g.remove_node(gemm);
  Node* qg = g.add_node(name, "QGemm", "com.microsoft", ins, {y});
  qg->attrs = attrs;
  if (g.opset_ms == 0) g.opset_ms = 1;
  return true;
}

// DQ(a), DQ(b) -> Add -> Q into com.microsoft QLinearAdd, as ONNX Runtime's QDQ fusion does, so the residual
// adds of a QDQ model stay in int8 and round like ORT's kernel (ops/qadd_kernel.h). No activation between
// the Add and the Q: ORT does not fuse one there either.
bool try_add(Graph& g, Node* add) {
  Node* da = dq_of(add->inputs[0]);
  Node* db = dq_of(add->inputs[1]);
  if (!da || !db) return false;
  DType t = da->inputs[0]->dtype;
  if (!is_q8(t) || db->inputs[0]->dtype != t) return false;
  for (Node* dq : {da, db})
    if (!per_tensor(dq->inputs[1]) || !per_tensor(dq->input(2))) return false;
  Node* act = nullptr;
  Node* q = quantize_after(g, add->outputs[0], &act);
  if (!q || act || q->outputs[0]->dtype != t || !per_tensor(q->input(2))) return false;
  Value* y = q->outputs[0];
  std::vector<Value*> ins = operand_inputs(g, da, db);
  ins.push_back(q->inputs[1]);
  ins.push_back(zero_point_or_zero(g, q, t));
  std::string name = add->name;
  remove_chain(g, add, nullptr, q);
  g.add_node(name, "QLinearAdd", "com.microsoft", ins, {y});
  if (g.opset_ms == 0) g.opset_ms = 1;
  return true;
}

// DQ(x) -> MaxPool -> Q with the same scale, zero point and type on both sides: MaxPool on x itself.
// Exact: dequantisation is increasing (scale > 0), so the max of the dequantised window is the dequantised
// max, and Q(DQ(m)) = m. ONNX Runtime drops such Q/DQ pairs around MaxPool too.
bool try_max_pool(Graph& g, Node* pool) {
  if (pool->outputs.size() > 1 && pool->outputs[1] != nullptr) return false;  // Indices
  Node* dq = dq_of(pool->inputs[0]);
  if (!dq || !is_q8(dq->inputs[0]->dtype) || !per_tensor(dq->inputs[1]) || !per_tensor(dq->input(2))) return false;
  Node* act = nullptr;
  Node* q = quantize_after(g, pool->outputs[0], &act);
  if (!q || act || q->outputs[0]->dtype != dq->inputs[0]->dtype || !per_tensor(q->input(2))) return false;
  float s = scalar_of(dq->inputs[1]);
  if (!(s > 0.f) || scalar_of(q->inputs[1]) != s || zp_scalar(dq->input(2)) != zp_scalar(q->input(2))) return false;
  Value* y = q->outputs[0];
  g.remove_node(q);
  pool->inputs[0] = dq->inputs[0];
  pool->outputs.resize(1);
  pool->outputs[0] = y;
  return true;
}

// The 8-bit copy of a 4-bit tensor (s4 -> s8, u4 -> u8): the same integers, one per byte.
Tensor widen4(const Tensor& t) {
  Tensor w = Tensor::empty(t.dtype() == DType::kI4 ? DType::kI8 : DType::kU8, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) store_qint(w, i, load_qint(t, i));
  return w;
}

// DQ(4-bit constant weight) feeding a Conv / Gemm / MatMul as its weight: the DQ reads an 8-bit copy of the
// weight (and of its zero point) instead, so the integer rewrites below see an ordinary s8/u8 weight. Exact:
// the integers, hence DQ's output, are the same; the widening happens once, at load.
int widen_4bit_weights(Graph& g) {
  int widened = 0;
  std::vector<Node*> dqs;
  for (const auto& n : g.nodes())
    if (n->op == Op::kDequantizeLinear) dqs.push_back(n.get());
  for (Node* dq : dqs) {
    Value* w = dq->inputs[0];
    if (!is_const(w) || (w->dtype != DType::kI4 && w->dtype != DType::kU4) || dq_of(dq->outputs[0]) != dq) continue;
    bool weight_of_linear = false;
    for (const Node* c : dq->outputs[0]->consumers)
      weight_of_linear = weight_of_linear || ((c->op == Op::kConv || c->op == Op::kGemm || c->op == Op::kMatMul) &&
                                              c->inputs.size() > 1 && c->inputs[1] == dq->outputs[0]);
    if (!weight_of_linear) continue;
    Value* wide = g.add_constant(w->name + "_int8", widen4(w->constant));
    dq->inputs[0] = wide;
    if (Value* zp = dq->input(2)) dq->inputs[2] = g.add_constant(zp->name + "_int8", widen4(zp->constant));
    ++widened;
  }
  if (widened) g.rebuild_uses();
  return widened;
}

}  // namespace

Status fuse_qdq(Graph& g) {
  g.rebuild_uses();
  const int widened = widen_4bit_weights(g);
  if (widened) log_info("pass qdq to integer ops: {} 4-bit weights widened to 8 bits", widened);
  std::vector<Node*> candidates;
  for (const auto& n : g.nodes())
    if (n->op == Op::kConv || n->op == Op::kMatMul || n->op == Op::kGemm || n->op == Op::kAdd ||
        n->op == Op::kMaxPool)
      candidates.push_back(n.get());
  bool changed = widened > 0;  // the 4-bit originals are dead now
  std::map<std::string, int> rewritten;  // op -> count
  for (Node* n : candidates) {
    const std::string label = n->label(), op = n->op_type;
    bool done = n->op == Op::kConv     ? try_conv(g, n)
                : n->op == Op::kMatMul ? try_matmul(g, n)
                : n->op == Op::kGemm   ? try_gemm(g, n)
                : n->op == Op::kAdd    ? try_add(g, n)
                                       : try_max_pool(g, n);
    if (done) {
      changed = true;
      rewritten[op]++;
      log_debug("qdq to integer ops: {} with its Q/DQ -> integer op", label);
      g.rebuild_uses();
    }
  }
  std::string counts;
  for (const auto& [op, count] : rewritten) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, op);
  log_info("pass qdq to integer ops: {}", counts.empty() ? std::string("nothing rewritten") : counts + " rewritten");
  if (!changed) return Status::ok();
  g.remove_dead();
  return g.topo_sort();
}

}  // namespace inr
