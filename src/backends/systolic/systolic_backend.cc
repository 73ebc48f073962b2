// The emulated Gemmini backend (see systolic_backend.h for what it takes and why). A partition compiles to a
// list of steps, one per node (or per node plus the DequantizeLinear -> Relu/Clip -> QuantizeLinear chain
// folded into it); weights are re-laid out once at compile (per-group K x J int8 matrices for the tile models,
// J x K int16 for the CPU mode's GEMM). Values produced and consumed inside the partition live in buffers
// allocated at compile time.
#include "backends/systolic/systolic_backend.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "backends/onednn/onednn_s32_conv.h"
#include "backends/systolic/cycle_model.h"
#include "backends/systolic/tiling.h"
#include "core/log.h"
#include "ops/conv_kernel.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"

namespace inr::systolic {

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::kCpu: return "cpu";
    case Mode::kOs: return "os";
    case Mode::kWs: return "ws";
  }
  return "?";
}

std::string backend_name(Mode m) { return "systolic-" + std::string(mode_name(m)); }

Result<Mode> parse_backend_name(std::string_view name) {
  for (Mode m : {Mode::kCpu, Mode::kOs, Mode::kWs})
    if (name == backend_name(m)) return m;
  return error("'{}' is not a systolic backend (systolic-cpu, systolic-os or systolic-ws)", name);
}

namespace {

std::string describe(const Value* v) {
  if (v == nullptr) return "absent";
  return fmt::format("'{}' {}{}", v->name, dtype_name(v->dtype), v->shape_known() ? shape_str(v->shape) : "[?]");
}

bool is_s8(const Value* v) { return v != nullptr && v->dtype == DType::kI8 && v->shape_known(); }

// An optional zero point that is absent or a constant of zeros.
bool zp_is_zero(const Value* v) {
  if (v == nullptr) return true;
  if (!v->is_constant()) return false;
  for (int64_t i = 0; i < v->constant.numel(); ++i)
    if (load_qint(v->constant, i) != 0) return false;
  return true;
}

bool per_tensor_scale(const Value* v) {
  return v != nullptr && v->is_constant() && v->constant.numel() == 1 &&
         (v->dtype == DType::kF32 || v->dtype == DType::kF16 || v->dtype == DType::kBF16);
}
float scale_of(const Value* v) { return load_scale(v->constant, 0); }

// Systolic EP rules shared by the int8 ops: s8 data, zero points 0, per-tensor scales. `zps` / `scales` are
// the node's zero-point / scale input positions.
Status check_int8(const Node& n, std::initializer_list<size_t> data, std::initializer_list<size_t> scales,
                  std::initializer_list<size_t> zps) {
  for (size_t i : data)
    if (!is_s8(n.input(i))) return error("input {} is not s8 (Gemmini multiplies int8 x int8)", describe(n.input(i)));
  if (n.outputs.size() != 1 || !is_s8(n.outputs[0]))
    return error("output {} is not s8", describe(n.outputs.empty() ? nullptr : n.outputs[0]));
  for (size_t i : scales)
    if (!per_tensor_scale(n.input(i)))
      return error("scale {} is not one constant value (the Systolic EP takes per-tensor scales only)", describe(n.input(i)));
  for (size_t i : zps)
    if (!zp_is_zero(n.input(i)))
      return error("zero point {} is not 0 (the Systolic EP takes symmetric quantization only; quantize with "
                   "--target gemmini)", describe(n.input(i)));
  return Status::ok();
}

Status supports_qconv(const Node& n) {
  if (n.inputs.size() < 8 || n.inputs.size() > 9) return error("{} inputs", n.inputs.size());
  INR_TRY(check_int8(n, {0, 3}, {1, 4, 6}, {2, 5, 7}));
  const Value* x = n.inputs[0];
  const Value* w = n.inputs[3];
  const Value* b = n.input(8);
  if (x->shape.size() != 4) return error("input is {}-D (2-D convolutions only)", x->shape.size() - 2);
  if (!w->is_constant() || w->shape.size() != 4) return error("weights {} are not a constant 4-D tensor", describe(w));
  if (b && (!b->is_constant() || b->dtype != DType::kI32 || b->shape != Shape{w->shape[0]}))
    return error("bias {} is not a constant int32 vector of the output channels", describe(b));
  return conv_shape(n, x->shape, w->shape, b ? &b->shape : nullptr).status();
}

Status supports_qmatmul(const Node& n) {
  if (n.inputs.size() != 8) return error("{} inputs", n.inputs.size());
  INR_TRY(check_int8(n, {0, 3}, {1, 4, 6}, {2, 5, 7}));
  const Value* a = n.inputs[0];
  const Value* b = n.inputs[3];
  if (a->shape.size() != 2) return error("A {} is not 2-D", describe(a));
  if (!b->is_constant() || b->shape.size() != 2 || b->shape[0] != a->shape[1])
    return error("B {} is not a constant 2-D matrix of {} rows", describe(b), a->shape[1]);
  return Status::ok();
}

Status supports_qadd(const Node& n) {
  if (n.inputs.size() < 7 || n.inputs.size() > 8) return error("{} inputs", n.inputs.size());
  INR_TRY(check_int8(n, {0, 3}, {1, 4, 6}, {2, 5, 7}));
  if (n.inputs[0]->shape != n.inputs[3]->shape || n.outputs[0]->shape != n.inputs[0]->shape)
    return error("A {} and B {} differ in shape (Gemmini's resadd does not broadcast)", describe(n.inputs[0]),
                 describe(n.inputs[3]));
  return Status::ok();
}

Status supports_maxpool(const Node& n) {
  if (n.outputs.size() > 1 && n.outputs[1] != nullptr) return error("the Indices output is asked for");
  const Value* x = n.input(0);
  const Value* y = n.outputs.empty() ? nullptr : n.outputs[0];
  if (!is_s8(x) || !is_s8(y)) return error("input {} is not s8 pooled into s8", describe(x));
  if (x->shape.size() != 4) return error("input is not 4-D");
  if (n.attr_int("ceil_mode", 0) != 0) return error("ceil_mode is set");
  if (n.attr_int("storage_order", 0) != 0) return error("storage_order is set");
  for (int64_t d : n.attr_ints("dilations"))
    if (d != 1) return error("dilations are not 1");
  auto k = n.attr_ints("kernel_shape");
  if (k.size() != 2) return error("kernel_shape is not 2-D");
  return window_geometry(n, x->shape, k, false).status();
}

Status supports_gap(const Node& n) {
  if (n.inputs.size() != 5) return error("{} inputs", n.inputs.size());
  INR_TRY(check_int8(n, {0}, {1, 3}, {2, 4}));
  if (n.attr_int("channels_last", 0) != 0) return error("channels_last is set (NCHW only)");
  if (n.inputs[0]->shape.size() != 4) return error("input is not 4-D");
  return Status::ok();
}

Status supports_compute(const Node& n) {
  switch (n.op) {
    case Op::kQLinearConv: return supports_qconv(n);
    case Op::kQLinearMatMul: return supports_qmatmul(n);
    case Op::kQLinearAdd: return supports_qadd(n);
    case Op::kMaxPool: return supports_maxpool(n);
    case Op::kQLinearGlobalAveragePool: return supports_gap(n);
    default: return error("Gemmini has no {} (the Systolic EP takes QLinearConv, QLinearMatMul, QLinearAdd, "
                          "MaxPool, QLinearGlobalAveragePool)", n.op_type);
  }
}

// --- DequantizeLinear -> Relu | Clip -> QuantizeLinear after a compute node ---------------------------------

struct Chain {
  Node* dq = nullptr;
  Node* act = nullptr;
  Node* q = nullptr;
  int32_t lo = kElemMin, hi = kElemMax;  // the chain maps v to clamp(v, lo, hi)
};

Node* sole_consumer(const Value* v) { return v && v->consumers.size() == 1 ? v->consumers[0] : nullptr; }

// The chain following `producer`'s output, if its three nodes are there and are constants-only apart from
// the data (what the LUT below needs), else nullopt.
std::optional<Chain> chain_after(const Node& producer) {
  if (producer.outputs.empty()) return std::nullopt;
  Chain c;
  c.dq = sole_consumer(producer.outputs[0]);
  if (!c.dq || c.dq->op != Op::kDequantizeLinear || c.dq->inputs[0] != producer.outputs[0]) return std::nullopt;
  c.act = sole_consumer(c.dq->outputs[0]);
  if (!c.act || (c.act->op != Op::kRelu && c.act->op != Op::kClip) || c.act->inputs[0] != c.dq->outputs[0])
    return std::nullopt;
  c.q = sole_consumer(c.act->outputs[0]);
  if (!c.q || c.q->op != Op::kQuantizeLinear || c.q->inputs[0] != c.act->outputs[0]) return std::nullopt;
  for (const Node* n : {c.dq, c.act, c.q})
    for (size_t i = 1; i < n->inputs.size(); ++i)
      if (n->inputs[i] && !n->inputs[i]->is_constant()) return std::nullopt;
  if (!is_s8(c.q->outputs[0]) || c.q->outputs[0]->shape != producer.outputs[0]->shape) return std::nullopt;
  if (!per_tensor_scale(c.dq->inputs[1]) || !per_tensor_scale(c.q->inputs[1])) return std::nullopt;
  return c;
}

// What the chain does to each int8 value, computed with the nodes' own reference kernels.
Result<std::array<int8_t, 256>> chain_lut(const Chain& c) {
  Tensor x = Tensor::empty(DType::kI8, {256});
  for (int i = 0; i < 256; ++i) x.data<int8_t>()[i] = static_cast<int8_t>(i - 128);
  Tensor cur = x;
  for (const Node* n : {c.dq, c.act, c.q}) {
    std::vector<Tensor> ins{cur};
    for (size_t i = 1; i < n->inputs.size(); ++i) ins.push_back(n->inputs[i] ? n->inputs[i]->constant : Tensor());
    std::vector<Tensor> outs{Tensor::empty(n->outputs[0]->dtype, {256})};
    INR_TRY(op_schema(n->op)->run(*n, ins, outs).with_context(n->label()));
    cur = outs[0];
  }
  std::array<int8_t, 256> lut;
  for (int i = 0; i < 256; ++i) lut[i] = cur.data<int8_t>()[i];
  return lut;
}

// The chain as an activation: Ok with lo/hi set when its map is clamp(v, lo, hi) with lo 0 or -128.
Status fold_chain(Chain& c) {
  INR_ASSIGN_OR_RETURN(auto lut, chain_lut(c));
  c.lo = lut[0];
  c.hi = lut[255];
  for (int i = 0; i < 256; ++i)
    if (lut[i] != std::clamp(i - 128, c.lo, c.hi))
      return error("{} -> {} -> {} is not a clamp of the int8 values (scales differ)", c.dq->label(), c.act->label(),
                   c.q->label());
  if (c.lo != 0 && c.lo != kElemMin) return error("the chain clamps at {} (Gemmini's activations clamp at 0)", c.lo);
  return Status::ok();
}

// The compute node a chain node belongs to (DQ, act or Q), or null.
const Node* chain_producer(const Node& n) {
  const Node* cur = &n;
  for (int up = 0; up < 3; ++up) {
    const Value* in = cur->input(0);
    if (!in || !in->producer) return nullptr;
    cur = in->producer;
    if (cur->op == Op::kQLinearConv || cur->op == Op::kQLinearMatMul || cur->op == Op::kQLinearAdd) return cur;
  }
  return nullptr;
}

Status supports_chain_node(const Node& n) {
  const Node* p = chain_producer(n);
  if (!p) return error("{} is not part of an activation after a Gemmini op", n.op_type);
  auto c = chain_after(*p);
  if (!c || (c->dq != &n && c->act != &n && c->q != &n))
    return error("not a DequantizeLinear -> Relu/Clip -> QuantizeLinear chain after {}", p->label());
  INR_TRY(supports_compute(*p));
  INR_TRY(fold_chain(*c));
  if (p->op == Op::kQLinearAdd && c->hi != kElemMax) return error("Gemmini's resadd has ReLU only, not a clip at {}", c->hi);
  return Status::ok();
}

Epilogue epilogue_of(float scale, const std::optional<Chain>& c) {
  Epilogue e{scale, Activation::kNone, kElemMax};
  if (c && c->lo == 0) e.act = c->hi == kElemMax ? Activation::kRelu : Activation::kRelu6;
  if (c) e.relu6_max = c->hi;
  return e;
}

// tiled_matmul_auto's tiles (tiling.h) for the functional models.
TileSizes auto_tiles(int64_t I, int64_t J, int64_t K, Dataflow d, const Config& cfg) {
  MatmulTiling t = tiled_matmul_auto(I, J, K, d, cfg);
  return TileSizes{std::max<int64_t>(1, t.tile_I), std::max<int64_t>(1, t.tile_J), std::max<int64_t>(1, t.tile_K)};
}

// The node's trace args with the simulated cost appended (tile modes only).
std::string with_cost(std::string args, const NodeRunStats& st, Mode mode, const Config& cfg) {
  if (mode != Mode::kCpu && !st.fused_pool.empty() && !args.empty() && args.back() == '}') {
    args.pop_back();
    args += fmt::format(R"(, "{}": "{}"}})", st.kind == "maxpool" ? "fused_into" : "fused_pool", st.fused_pool);
  }
  if (st.conv_loop && !args.empty() && args.back() == '}') {
    args.pop_back();
    args += R"(, "conv_loop": true})";
  }
  if (mode == Mode::kCpu || st.cost.cycles == 0 || args.empty() || args.back() != '}') return args;
  args.pop_back();
  return args + fmt::format(
                    R"(, "cycles": {}, "simulated_us": {:.3f}, "dma_in_bytes": {}, "dma_out_bytes": {}, "tiles": {}, "utilization": {:.6g}, "dataflow": "{}"}})",
                    st.cost.cycles, simulated_seconds(st.cost.cycles, cfg) * 1e6, st.cost.dma_in_bytes,
                    st.cost.dma_out_bytes, st.cost.tiles, st.cost.utilization, dataflow_name(cfg.dataflow));
}

// --- executable ---------------------------------------------------------------------------------------------

class SystolicExecutable final : public Executable {
 public:
  struct Step {
    Node* node = nullptr;
    std::string label, args;
    NodeRunStats stats;
    std::function<Status(Step&, Profiler*)> fn;
  };

  SystolicExecutable(const CompileRequest& req, const BackendOptions& o) : req_(req), o_(o) {}

  Status compile() {
    if (o_.nhwc_fusion && o_.mode != Mode::kCpu) find_pool_fusions();
    std::unordered_set<const Node*> folded;
    std::vector<std::pair<Node*, std::optional<Chain>>> plan;  // the nodes that get a step, with folded chains
    for (Node* n : req_.nodes) {
      if (folded.count(n)) continue;
      std::optional<Chain> chain;
      if (n->op == Op::kQLinearConv || n->op == Op::kQLinearMatMul || n->op == Op::kQLinearAdd) {
        chain = chain_after(*n);
        if (chain && !foldable(*n, *chain)) chain.reset();
        if (chain) folded.insert({chain->dq, chain->act, chain->q});
      }
      plan.emplace_back(n, std::move(chain));
    }
    if (o_.mode == Mode::kCpu) INR_TRY(plan_channels_last(plan));
    for (auto& [n, chain] : plan) {
      Step s;
      s.node = n;
      s.label = n->name.empty() ? n->op_type : n->name;
      s.stats.node = s.label;
      s.stats.op_type = n->op_type;
      switch (n->op) {
        case Op::kQLinearConv: INR_TRY(compile_conv(*n, chain, s)); break;
        case Op::kQLinearMatMul: INR_TRY(compile_matmul(*n, chain, s)); break;
        case Op::kQLinearAdd: INR_TRY(compile_add(*n, chain, s)); break;
        case Op::kMaxPool: INR_TRY(compile_maxpool(*n, s)); break;
        case Op::kQLinearGlobalAveragePool: INR_TRY(compile_gap(*n, s)); break;
        default: INR_TRY(compile_reference(*n, s)); break;
      }
      if (auto f = fused_.find(n); f != fused_.end()) s.stats.fused_pool = f->second->name.empty() ? f->second->op_type : f->second->name;
      if (o_.mode != Mode::kCpu) cost(*n, s.stats);
      s.args = with_cost(node_event_args(*n, backend_name(o_.mode), s.stats.kind == "reference" ? "reference" : "gemmini_" + s.stats.kind),
                         s.stats, o_.mode, o_.config);
      steps_.push_back(std::move(s));
    }
    return Status::ok();
  }

  Status run(Profiler* profiler) override {
    for (Step& s : steps_) {
      const double wall_start = profiler ? profiler->now_us() : 0;
      {
        std::optional<ScopedEvent> ev;
        if (profiler) ev.emplace(profiler, s.label, "node", s.args);
        s.stats.counters = DataflowCounters{};
        INR_TRY(s.fn(s, profiler).with_context(s.node->label()));
      }
      if (profiler && s.stats.cost.cycles > 0) add_simulated_event(*profiler, s, wall_start);
    }
    return Status::ok();
  }

  size_t internal_bytes() const override { return internal_bytes_; }

  // The node on the trace's simulated-time track (pid kSimulatedPid): back to back with the other systolic
  // nodes of the trace, lasting its cycles / clock; its args are the node's, plus where it started on the
  // wall clock.
  static constexpr int64_t kSimulatedPid = 2;
  void add_simulated_event(Profiler& profiler, const Step& s, double wall_start_us) const {
    Profiler::Event e;
    e.name = s.label;
    e.cat = "simulated";
    e.dur_us = simulated_seconds(s.stats.cost.cycles, o_.config) * 1e6;
    e.args_json = s.args;
    if (!e.args_json.empty() && e.args_json.back() == '}') {
      e.args_json.pop_back();
      e.args_json += fmt::format(R"(, "wall_ts_us": {:.3f}}})", wall_start_us);
    }
    profiler.add_on_track(kSimulatedPid,
                          fmt::format("emulated Gemmini {} (simulated time: cycles / {:g} MHz)",
                                      dataflow_name(o_.config.dataflow), o_.config.clock_hz / 1e6),
                          std::move(e));
  }

  ExecutableCost total_cost() const {
    ExecutableCost e;
    e.config = o_.config;
    for (const Step& s : steps_)
      if (s.stats.cost.cycles > 0) {
        e.cost.add(s.stats.cost, o_.config);
        ++e.nodes;
      }
    return e;
  }

  std::vector<NodeRunStats> stats() const {
    std::vector<NodeRunStats> out;
    for (const Step& s : steps_) out.push_back(s.stats);
    return out;
  }

 private:
  // The tensor of a value: its runtime slot when it crosses the partition (or is constant), else a buffer
  // allocated here. The pointer stays valid for the executable's lifetime.
  Tensor* tensor(const Value* v) {
    if (v == nullptr) return nullptr;
    if (req_.external.count(v) || v->is_constant()) return &(*req_.slots)[static_cast<size_t>(req_.slot_of.at(v))];
    auto it = internal_.find(v);
    if (it == internal_.end()) {
      it = internal_.emplace(v, Tensor::zeros(v->dtype, v->shape)).first;
      internal_bytes_ += it->second.bytes();
    }
    return &it->second;
  }

  // The chain can be folded when its three nodes are in this partition and nothing outside reads the values
  // between them.
  bool foldable(const Node& producer, Chain& c) {
    auto in_partition = [&](const Node* n) {
      return std::find(req_.nodes.begin(), req_.nodes.end(), n) != req_.nodes.end();
    };
    if (!in_partition(c.dq) || !in_partition(c.act) || !in_partition(c.q)) return false;
    for (const Value* v : {producer.outputs[0], c.dq->outputs[0], c.act->outputs[0]})
      if (req_.external.count(v)) return false;
    if (!fold_chain(c)) return false;
    return producer.op != Op::kQLinearAdd || c.hi == kElemMax;
  }

  // -x 0: the convolutions whose accumulators come from oneDNN (onednn_s32_conv.h), and the values inside
  // the partition kept channels-last between them. oneDNN's fast int8 kernels read and write channels-last;
  // a value that only such convolutions and residual adds (element-wise, so layout-blind) produce and read,
  // and that does not leave the partition, is never transposed. Everything else stays NCHW.
  Status plan_channels_last(const std::vector<std::pair<Node*, std::optional<Chain>>>& plan) {
    std::unordered_map<const Value*, const Node*> made_by;  // a candidate value -> the step's node
    std::unordered_map<const Node*, const Value*> out_of;   // a step's node -> its output (after its chain)
    for (const auto& [n, chain] : plan) {
      const Value* out = chain ? chain->q->outputs[0] : n->outputs.empty() ? nullptr : n->outputs[0];
      out_of[n] = out;
      if (n->op == Op::kQLinearConv) {
        const Value* bv = n->input(8);
        INR_ASSIGN_OR_RETURN(ConvShape cs, conv_shape(*n, n->inputs[0]->shape, n->inputs[3]->shape, bv ? &bv->shape : nullptr));
        auto fast = onednn::Int8ConvS32::make(cs, n->inputs[3]->constant);
        if (!fast.is_ok()) {
          log_debug("systolic-cpu: {}: reference int8 accumulators ({})", n->label(), fast.status().message());
          continue;
        }
        log_debug("systolic-cpu: {}: oneDNN int8 accumulators ({})", n->label(), (*fast)->impl());
        fast_conv_[n] = std::move(*fast);
      } else if (n->op != Op::kQLinearAdd) {
        continue;
      }
      if (out && out->shape.size() == 4 && !out->is_constant() && !req_.external.count(out)) made_by[out] = n;
    }
    std::unordered_set<const Value*> cl;
    for (const auto& [v, n] : made_by) cl.insert(v);
    for (bool changed = true; changed;) {
      changed = false;
      for (auto it = cl.begin(); it != cl.end();) {
        const Value* v = *it;
        const Node* p = made_by.at(v);
        bool keep = p->op != Op::kQLinearAdd || (cl.count(p->inputs[0]) && cl.count(p->inputs[3]));
        for (const Node* u : v->consumers) {
          if (!keep) break;
          if (u->op == Op::kQLinearConv && fast_conv_.count(u))
            keep = u->inputs[0] == v && std::count(u->inputs.begin(), u->inputs.end(), v) == 1;
          else
            keep = u->op == Op::kQLinearAdd && out_of.count(u) && cl.count(out_of.at(u));
        }
        if (keep) {
          ++it;
        } else {
          it = cl.erase(it);
          changed = true;
        }
      }
    }
    channels_last_ = std::move(cl);
    return Status::ok();
  }

  Dataflow dataflow() const { return o_.mode == Mode::kOs ? Dataflow::kOS : Dataflow::kWS; }

  // -O 99's conv + MaxPool fusion: a MaxPool of this partition whose input is a QLinearConv's output (after
  // its folded activation chain, if any) that nothing else reads and that does not leave the partition, with
  // a square window, equal strides and equal pads on every side (what the pooled mvout takes).
  void find_pool_fusions() {
    auto in_partition = [&](const Node* n) {
      return std::find(req_.nodes.begin(), req_.nodes.end(), n) != req_.nodes.end();
    };
    for (Node* n : req_.nodes) {
      if (n->op != Op::kQLinearConv) continue;
      const Value* out = n->outputs[0];
      if (auto chain = chain_after(*n); chain && foldable(*n, *chain)) out = chain->q->outputs[0];
      Node* pool = sole_consumer(out);
      if (!pool || pool->op != Op::kMaxPool || !in_partition(pool) || req_.external.count(out)) continue;
      if (!systolic_supports(*pool)) continue;
      auto g = window_geometry(*pool, pool->inputs[0]->shape, pool->attr_ints("kernel_shape"), false);
      if (!g || g->kernel[0] != g->kernel[1] || g->stride[0] != g->stride[1] || g->pad_begin[0] != g->pad_begin[1] ||
          g->pad_begin[0] != g->pad_end[0] || g->pad_end[0] != g->pad_end[1])
        continue;
      fused_[n] = pool;
      fused_[pool] = n;
    }
  }
  const Node* fused_pool_of(const Node& conv) const {
    auto it = fused_.find(&conv);
    return it != fused_.end() && conv.op == Op::kQLinearConv ? it->second : nullptr;
  }
  bool pool_is_fused(const Node& pool) const { return pool.op == Op::kMaxPool && fused_.count(&pool) != 0; }

  // The conv loop's problem geometry for the QLinearConv `n` (with its fused MaxPool, if any), or nullopt when
  // the conv does not run Gemmini's conv loop: only at -x 2 with -O 99, for one group, a square stride and
  // dilation and equal pads on every side (what tiled_conv takes), with tiles that fit the memories. The cycle
  // model (cost) and the functional model (compile_conv) both ask here, so they always agree.
  std::optional<ConvDims> conv_loop_dims(const Node& n) const {
    if (o_.mode != Mode::kWs || !o_.nhwc_fusion || n.op != Op::kQLinearConv) return std::nullopt;
    auto cs = conv_shape(n, n.inputs[0]->shape, n.inputs[3]->shape, nullptr);
    if (!cs.is_ok() || cs->group != 1) return std::nullopt;
    const WindowGeometry& g = cs->geometry;
    if (g.kernel.size() != 2 || g.stride[0] != g.stride[1] || g.dilation[0] != g.dilation[1] ||
        g.pad_begin[0] != g.pad_begin[1] || g.pad_end[0] != g.pad_begin[0] || g.pad_end[1] != g.pad_begin[0])
      return std::nullopt;
    ConvDims d;
    d.batch = cs->batch, d.in_h = g.in[0], d.in_w = g.in[1], d.in_c = cs->in_channels, d.out_c = cs->out_channels;
    d.k_h = g.kernel[0], d.k_w = g.kernel[1], d.stride = g.stride[0], d.pad = g.pad_begin[0], d.dilation = g.dilation[0];
    d.out_h = g.out[0], d.out_w = g.out[1];
    d.has_bias = n.input(8) != nullptr;
    if (d.conv_out_h() != g.out[0] || d.conv_out_w() != g.out[1]) return std::nullopt;
    if (const Node* pool = fused_pool_of(n)) {
      auto pg = window_geometry(*pool, pool->inputs[0]->shape, pool->attr_ints("kernel_shape"), false);
      if (!pg.is_ok()) return std::nullopt;
      d.pool_size = pg->kernel[0], d.pool_stride = pg->stride[0], d.pool_pad = pg->pad_begin[0];
      if (d.pool_out_h() != pg->out[0] || d.pool_out_w() != pg->out[1]) return std::nullopt;
    }
    if (!conv_tiles_fit(conv_loop_tiling(d, o_.config), o_.config)) return std::nullopt;
    return d;
  }

  // One matmul problem in the backend's mode. `bt16` is B^T widened (CPU mode only).
  void matmul(MatmulProblem& p, const int16_t* bt16, NodeRunStats& st) {
    if (o_.mode == Mode::kCpu) {
      matmul_cpu(p, bt16);
      return;
    }
    TileSizes t = auto_tiles(p.I, p.J, p.K, dataflow(), o_.config);
    tiled_matmul_model(p, t, dataflow(), o_.config, &st.counters);
  }

  // The cycle model's cost of the node (cycle_model.h), a pure function of its sizes: WS convolutions of one
  // group run Gemmini's conv loop (what the Systolic EP called for WS), the others host im2col + tiled matmul
  // (per group); matmuls tiled_matmul_auto; the rest their own loops.
  void cost(const Node& n, NodeRunStats& st) {
    const Config& cfg = o_.config;
    const Shape& x = n.inputs[0]->shape;
    switch (n.op) {
      case Op::kQLinearConv: {
        const Value* w = n.inputs[3];
        auto cs = conv_shape(n, x, w->shape, nullptr);
        if (!cs.is_ok()) return;
        const WindowGeometry& g = cs->geometry;
        ConvDims d;
        d.batch = cs->batch, d.in_h = g.in[0], d.in_w = g.in[1], d.in_c = cs->in_channels / cs->group;
        d.out_c = cs->out_channels / cs->group, d.k_h = g.kernel[0], d.k_w = g.kernel[1];
        d.stride = g.stride[0], d.pad = g.pad_begin[0], d.dilation = g.dilation[0];
        d.out_h = g.out[0], d.out_w = g.out[1];
        d.has_bias = n.input(8) != nullptr;
        if (const Node* pool = fused_pool_of(n)) {  // -O 99: the pooled mvout
          auto pgr = window_geometry(*pool, pool->inputs[0]->shape, pool->attr_ints("kernel_shape"), false);
          const WindowGeometry& pg = *pgr;
          d.pool_size = pg.kernel[0], d.pool_stride = pg.stride[0], d.pool_pad = pg.pad_begin[0];
        }
        if (auto loop = conv_loop_dims(n)) {  // -O 99, WS, one group: Gemmini's conv loop
          st.cost = conv_cost(*loop, cfg);
          return;
        }
        Cost one = conv_im2col_cost(d, cfg);
        for (int64_t gi = 0; gi < cs->group; ++gi) st.cost.add(one, cfg);
        return;
      }
      case Op::kQLinearMatMul:
        st.cost = matmul_cost(x[0], n.inputs[3]->shape[1], x[1], cfg, false);
        return;
      case Op::kQLinearAdd:  // NCHW viewed as [N*H*W, C] like the EP's NHWC tensors
        st.cost = resadd_cost(x.size() == 4 ? x[0] * x[2] * x[3] : shape_numel(x) / x.back(), x.size() == 4 ? x[1] : x.back(), cfg);
        return;
      case Op::kMaxPool: {
        if (pool_is_fused(n)) return;  // costed with its conv (-O 99)
        auto g = window_geometry(n, x, n.attr_ints("kernel_shape"), false);
        if (!g.is_ok()) return;
        PoolDims p{x[0], x[2], x[3], x[1], g->kernel[0], g->stride[0], g->pad_begin[0]};
        st.cost = pool_cost(p, cfg);
        return;
      }
      case Op::kQLinearGlobalAveragePool:
        st.cost = global_average_cost(x[0], x[2], x[3], x[1], cfg);
        return;
      default:
        return;
    }
  }

  Status compile_conv(Node& n, const std::optional<Chain>& chain, Step& s) {
    const Value* xv = n.inputs[0];
    const Value* wv = n.inputs[3];
    const Value* bv = n.input(8);
    INR_ASSIGN_OR_RETURN(ConvShape cs, conv_shape(n, xv->shape, wv->shape, bv ? &bv->shape : nullptr));
    const WindowGeometry& g = cs.geometry;
    struct Conv {
      int64_t N, C, H, W, M, G, Cg, Mg, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, K, I;
      int64_t lda;                            // im2col row stride: 16 for K <= 16 (depthwise: whole aligned rows), else K
      std::vector<std::vector<int8_t>> b;     // per group: [K, Mg]
      std::vector<int32_t> bias;
      Epilogue e;
      TileSizes tiles;                        // tiled_matmul_auto's choice for one (image, group) matmul
      std::vector<int8_t> a, c;               // im2col [I, K] and the matmul output [I, Mg]
    };
    auto cv = std::make_shared<Conv>();
    Conv& c = *cv;
    c.N = cs.batch, c.C = cs.in_channels, c.H = g.in[0], c.W = g.in[1], c.M = cs.out_channels, c.G = cs.group;
    c.Cg = c.C / c.G, c.Mg = c.M / c.G, c.KH = g.kernel[0], c.KW = g.kernel[1], c.SH = g.stride[0], c.SW = g.stride[1];
    c.DH = g.dilation[0], c.DW = g.dilation[1], c.PT = g.pad_begin[0], c.PL = g.pad_begin[1], c.OH = g.out[0],
    c.OW = g.out[1];
    c.K = c.Cg * c.KH * c.KW;
    c.I = c.OH * c.OW;
    c.lda = c.K <= 16 ? 16 : c.K;
    const int8_t* w = wv->constant.data<int8_t>();
    const std::optional<ConvDims> loop = conv_loop_dims(n);  // -x 2 -O 99: the conv loop, no im2col operands
    for (int64_t gi = 0; gi < c.G && o_.mode != Mode::kCpu && !loop; ++gi) {
      std::vector<int8_t> b(static_cast<size_t>(c.K * c.Mg));
      for (int64_t j = 0; j < c.Mg; ++j)
        for (int64_t k = 0; k < c.K; ++k) b[static_cast<size_t>(k * c.Mg + j)] = w[(gi * c.Mg + j) * c.K + k];
      c.b.push_back(std::move(b));
    }
    if (bv) c.bias.assign(bv->constant.data<int32_t>(), bv->constant.data<int32_t>() + c.M);
    const float scale = scale_of(n.inputs[1]) * scale_of(n.inputs[4]) / scale_of(n.inputs[6]);
    c.e = epilogue_of(scale, chain);
    if (o_.mode != Mode::kCpu && !loop) {
      c.tiles = auto_tiles(c.I, c.Mg, c.K, dataflow(), o_.config);
      c.a.resize(static_cast<size_t>(c.I * c.lda));
      c.c.resize(static_cast<size_t>(c.I * c.Mg));
    }
    Tensor* x = tensor(xv);
    const Value* yv = chain ? chain->q->outputs[0] : n.outputs[0];
    s.stats.kind = "conv";
    s.stats.matmul_I = c.I, s.stats.matmul_J = c.Mg, s.stats.matmul_K = c.K, s.stats.groups = c.G, s.stats.images = c.N;
    s.stats.macs = c.N * c.G * c.I * c.Mg * c.K;
    // (With a fused pool the conv loop writes the pool's output, and the conv's own output needs no buffer.)
    if (loop) return compile_conv_loop(n, *loop, c.e, x, yv, s);
    Tensor* y = tensor(yv);
    if (o_.mode == Mode::kCpu) {
      const Tensor wt = wv->constant;
      const int32_t* bias = bv ? bv->constant.data<int32_t>() : nullptr;
      const std::string mnk = fmt::format(R"({{"M, N, K": "{}, {}, {}"}})", c.I, c.Mg, c.K);
      // -x 0: the int32 accumulators sum x * w from oneDNN's int8 kernels (exact on every tier:
      // onednn_s32_conv.h), channels-last; Gemmini's epilogue adds the bias and writes y in its layout.
      if (auto f = fast_conv_.find(&n); f != fast_conv_.end()) {
        std::shared_ptr<onednn::Int8ConvS32> conv = f->second;
        const bool x_cl = channels_last_.count(xv) != 0;
        const bool y_cl = channels_last_.count(chain ? chain->q->outputs[0] : n.outputs[0]) != 0;
        // Each band of output rows goes through the epilogue while its accumulators are in cache (so the
        // trace's matmul phase includes the epilogue here).
        auto band = std::make_shared<onednn::Int8ConvS32::BandFn>(
            [cv, y, bias, y_cl](int64_t n, int64_t oh0, int64_t oh1, const int32_t* const* acc) {
              const Conv& c = *cv;
              const int64_t p0 = oh0 * c.OW, rows = (oh1 - oh0) * c.OW;
              int8_t* out = y->data<int8_t>() + (y_cl ? (n * c.I + p0) * c.M : n * c.M * c.I + p0);
              scale_and_activate_channels_last(acc[0], acc[1], bias, rows, c.M, c.e, out, y_cl ? 0 : c.I);
            });
        s.fn = [x, conv, band, mnk, x_cl](Step&, Profiler* prof) -> Status {
          std::optional<ScopedEvent> ev;
          if (prof) ev.emplace(prof, "matmul", "phase", mnk);
          conv->run(x->data<int8_t>(), x_cl, *band);
          return Status::ok();
        };
        return Status::ok();
      }
      // Otherwise inr's integer convolution (the reference kernel's, with its depthwise path) gives the
      // accumulators bias + sum x * w directly in NCHW; Gemmini's epilogue runs on each output plane.
      auto acc = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(c.N * c.M * c.I));
      s.fn = [cv, cs, x, y, wt, bias, acc, mnk](Step&, Profiler* prof) -> Status {
        Conv& c = *cv;
        {
          std::optional<ScopedEvent> ev;
          if (prof) ev.emplace(prof, "matmul", "phase", mnk);
          conv_int32(cs, *x, 0, wt, {0}, bias, acc->data());
        }
        for (int64_t p = 0; p < c.N * c.M; ++p)
          scale_and_activate_row(acc->data() + p * c.I, c.I, c.e, y->data<int8_t>() + p * c.I);
        return Status::ok();
      };
      return Status::ok();
    }
    s.fn = [this, cv, x, y](Step& st, Profiler* prof) -> Status {
      Conv& c = *cv;
      const int8_t* xs = x->data<int8_t>();
      int8_t* ys = y->data<int8_t>();
      const int64_t jobs = c.N * c.G;
      // One matmul per (image, group). Several of them (a batch, a grouped or depthwise conv) run side by side
      // on the OpenMP threads, each with its own buffers and emulated memories; one alone splits its tiles
      // over the threads instead. Traced runs go one at a time, so the phase events nest.
      auto one = [&](int64_t job, int8_t* a, int8_t* cbuf, DataflowCounters& counters) {
        const int64_t n = job / c.G, gi = job % c.G;
        {
          std::optional<ScopedEvent> ev;
          if (prof) ev.emplace(prof, "im2col", "phase");
          im2col(c, xs + (n * c.C + gi * c.Cg) * c.H * c.W, a);
        }
        std::optional<ScopedEvent> ev;
        if (prof) ev.emplace(prof, "matmul", "phase", fmt::format(R"({{"M, N, K": "{}, {}, {}"}})", c.I, c.Mg, c.K));
        MatmulProblem p;
        p.I = c.I, p.J = c.Mg, p.K = c.K;
        p.A = a, p.lda = c.lda, p.B = c.b[static_cast<size_t>(gi)].data(), p.ldb = c.Mg;
        p.bias = c.bias.empty() ? nullptr : c.bias.data() + gi * c.Mg;
        // [I, Mg] -> NCHW: one output channel (a depthwise conv's) is its NCHW plane, written in place.
        int8_t* out = ys + (n * c.M + gi * c.Mg) * c.I;
        p.C = c.Mg == 1 ? out : cbuf, p.ldc = c.Mg, p.epilogue = c.e;
        tiled_matmul_model(p, c.tiles, dataflow(), o_.config, &counters);
        if (c.Mg > 1) transpose_i8(cbuf, c.Mg, c.I, c.Mg, out, c.I);
      };
      if (jobs == 1 || prof) {
        for (int64_t job = 0; job < jobs; ++job) one(job, c.a.data(), c.c.data(), st.stats.counters);
        return Status::ok();
      }
#pragma omp parallel
      {
        // Each thread's im2col and output buffers, kept between runs (every byte is written before it is read).
        thread_local std::vector<int8_t> a, cbuf;
        if (a.size() < c.a.size()) a.resize(c.a.size());
        if (cbuf.size() < c.c.size()) cbuf.resize(c.c.size());
        DataflowCounters mine;
#pragma omp for schedule(static)
        for (int64_t job = 0; job < jobs; ++job) one(job, a.data(), cbuf.data(), mine);
#pragma omp critical
        st.stats.counters.add(mine);
      }
      return Status::ok();
    };
    return Status::ok();
  }

  // -x 2 -O 99, one group: the functional model of Gemmini's conv loop (dataflow.h tiled_conv_model) on the
  // NCHW input, with HWIO weights laid out once here; with a fused MaxPool it writes the pooled output (the
  // MaxPool's tensor) through the pooled mvout, and the MaxPool step does nothing. No host im2col: the trace
  // shows one "conv_loop" phase (args: its tiles) instead of the im2col and matmul phases.
  Status compile_conv_loop(const Node& n, const ConvDims& d, const Epilogue& e, Tensor* x, const Value* yv, Step& s) {
    struct Loop {
      ConvDims d;
      ConvTiling t;
      std::vector<int8_t> w;  // HWIO
      std::vector<int32_t> bias;
      Epilogue e;
    };
    auto lp = std::make_shared<Loop>();
    lp->d = d;
    lp->t = conv_loop_tiling(d, o_.config);
    lp->e = e;
    const Value* wv = n.inputs[3];
    const int8_t* w = wv->constant.data<int8_t>();
    const int64_t M = d.out_c, Cin = d.in_c, KH = d.k_h, KW = d.k_w;
    lp->w.resize(static_cast<size_t>(M * Cin * KH * KW));
    for (int64_t m = 0; m < M; ++m)
      for (int64_t ci = 0; ci < Cin; ++ci)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw)
            lp->w[static_cast<size_t>(((kh * KW + kw) * Cin + ci) * M + m)] = w[((m * Cin + ci) * KH + kh) * KW + kw];
    if (const Value* bv = n.input(8)) lp->bias.assign(bv->constant.data<int32_t>(), bv->constant.data<int32_t>() + M);
    const Node* pool = fused_pool_of(n);
    Tensor* y = tensor(pool ? pool->outputs[0] : yv);
    if (pool) pooled_by_loop_.insert(pool);
    s.stats.conv_loop = true;
    s.fn = [this, lp, x, y](Step& st, Profiler* prof) -> Status {
      std::optional<ScopedEvent> ev;
      if (prof) ev.emplace(prof, "conv_loop", "phase", fmt::format(R"({{"tiles": {}}})", lp->t.tiles));
      ConvProblem p;
      p.d = lp->d;
      p.x = x->data<int8_t>(), p.w = lp->w.data(), p.bias = lp->bias.empty() ? nullptr : lp->bias.data();
      p.y = y->data<int8_t>(), p.epilogue = lp->e;
      tiled_conv_model(p, lp->t, o_.config, &st.stats.counters);
      return Status::ok();
    };
    return Status::ok();
  }

  // Rows of A: one per output pixel, K = (channel, kernel row, kernel column) of the group (dataflow.h's
  // im2col_i8).
  template <class Conv>
  static void im2col(const Conv& c, const int8_t* x, int8_t* a) {
    im2col_i8(Im2colGeometry{c.Cg, c.H, c.W, c.KH, c.KW, c.SH, c.SW, c.DH, c.DW, c.PT, c.PL, c.OH, c.OW, c.lda}, x, a);
  }

  Status compile_matmul(Node& n, const std::optional<Chain>& chain, Step& s) {
    const Value* av = n.inputs[0];
    const Value* bv = n.inputs[3];
    struct Mm {
      int64_t I, J, K;
      std::vector<int16_t> bt;
      Epilogue e;
    };
    auto mm = std::make_shared<Mm>();
    mm->I = av->shape[0], mm->K = av->shape[1], mm->J = bv->shape[1];
    mm->e = epilogue_of(scale_of(n.inputs[1]) * scale_of(n.inputs[4]) / scale_of(n.inputs[6]), chain);
    Tensor* a = tensor(av);
    Tensor* b = tensor(bv);
    Tensor* y = tensor(chain ? chain->q->outputs[0] : n.outputs[0]);
    s.stats.kind = "matmul";
    s.stats.matmul_I = mm->I, s.stats.matmul_J = mm->J, s.stats.matmul_K = mm->K;
    s.stats.macs = mm->I * mm->J * mm->K;
    if (o_.mode == Mode::kCpu) {
      // -x 0: A [I, K] times B [K, J] is a 1x1 convolution of an [1, I, 1, K] channels-last image with the
      // weights B^T [J, K, 1, 1]: its accumulators from oneDNN (onednn_s32_conv.h), rows of y = channels-last.
      ConvShape cs;
      cs.batch = 1, cs.in_channels = mm->K, cs.out_channels = mm->J, cs.group = 1;
      cs.geometry = WindowGeometry{{mm->I, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {mm->I, 1}};
      Tensor bt = Tensor::empty(DType::kI8, {mm->J, mm->K, 1, 1});
      const int8_t* bw = bv->constant.data<int8_t>();
      for (int64_t j = 0; j < mm->J; ++j)
        for (int64_t k = 0; k < mm->K; ++k) bt.data<int8_t>()[j * mm->K + k] = bw[k * mm->J + j];
      auto fast = onednn::Int8ConvS32::make(cs, bt);
      if (fast.is_ok()) {
        log_debug("systolic-cpu: {}: oneDNN int8 accumulators ({})", s.label, (*fast)->impl());
        std::shared_ptr<onednn::Int8ConvS32> conv = std::move(*fast);
        auto band = std::make_shared<onednn::Int8ConvS32::BandFn>(
            [mm, y](int64_t, int64_t i0, int64_t i1, const int32_t* const* acc) {
              scale_and_activate_channels_last(acc[0], acc[1], nullptr, i1 - i0, mm->J, mm->e,
                                               y->data<int8_t>() + i0 * mm->J, 0);
            });
        s.fn = [mm, a, conv, band](Step&, Profiler* prof) -> Status {
          std::optional<ScopedEvent> ev;
          if (prof)
            ev.emplace(prof, "matmul", "phase", fmt::format(R"({{"M, N, K": "{}, {}, {}"}})", mm->I, mm->J, mm->K));
          conv->run(a->data<int8_t>(), true, *band);
          return Status::ok();
        };
        return Status::ok();
      }
      log_debug("systolic-cpu: {}: reference int8 accumulators ({})", s.label, fast.status().message());
      mm->bt = transpose_widen(bv->constant.data<int8_t>(), mm->K, mm->J, mm->J);
    }
    s.fn = [this, mm, a, b, y](Step& st, Profiler* prof) -> Status {
      std::optional<ScopedEvent> ev;
      if (prof)
        ev.emplace(prof, "matmul", "phase", fmt::format(R"({{"M, N, K": "{}, {}, {}"}})", mm->I, mm->J, mm->K));
      MatmulProblem p;
      p.I = mm->I, p.J = mm->J, p.K = mm->K;
      p.A = a->data<int8_t>(), p.lda = mm->K, p.B = b->data<int8_t>(), p.ldb = mm->J;
      p.C = y->data<int8_t>(), p.ldc = mm->J, p.epilogue = mm->e;
      matmul(p, mm->bt.empty() ? nullptr : mm->bt.data(), st.stats);
      return Status::ok();
    };
    return Status::ok();
  }

  Status compile_add(Node& n, const std::optional<Chain>& chain, Step& s) {
    const float sc = scale_of(n.inputs[6]);
    const float as = resadd_scale(scale_of(n.inputs[1]), sc), bs = resadd_scale(scale_of(n.inputs[4]), sc);
    const bool relu = chain && chain->lo == 0;
    Tensor* a = tensor(n.inputs[0]);
    Tensor* b = tensor(n.inputs[3]);
    Tensor* y = tensor(chain ? chain->q->outputs[0] : n.outputs[0]);
    s.stats.kind = "resadd";
    s.stats.matmul_I = shape_numel(n.inputs[0]->shape);
    s.fn = [a, b, y, as, bs, relu](Step&, Profiler*) -> Status {
      resadd_row(a->data<int8_t>(), as, b->data<int8_t>(), bs, relu, a->numel(), y->data<int8_t>());
      return Status::ok();
    };
    return Status::ok();
  }

  Status compile_maxpool(Node& n, Step& s) {
    INR_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(n, n.inputs[0]->shape, n.attr_ints("kernel_shape"), false));
    if (pooled_by_loop_.count(&n)) {  // its conv's pooled mvout wrote the output
      s.stats.kind = "maxpool";
      s.fn = [](Step&, Profiler*) -> Status { return Status::ok(); };
      return Status::ok();
    }
    Tensor* x = tensor(n.inputs[0]);
    Tensor* y = tensor(n.outputs[0]);
    const int64_t planes = n.inputs[0]->shape[0] * n.inputs[0]->shape[1];
    s.stats.kind = "maxpool";
    s.stats.matmul_I = planes;
    s.fn = [g, x, y, planes](Step&, Profiler*) -> Status {
      const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
      for (int64_t p = 0; p < planes; ++p) {
        const int8_t* in = x->data<int8_t>() + p * H * W;
        int8_t* out = y->data<int8_t>() + p * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            int32_t m = kElemMin;
            bool padded = false;
            for (int64_t r = 0; r < g.kernel[0]; ++r) {
              const int64_t ih = oh * g.stride[0] - g.pad_begin[0] + r;
              for (int64_t q = 0; q < g.kernel[1]; ++q) {
                const int64_t iw = ow * g.stride[1] - g.pad_begin[1] + q;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                  padded = true;
                } else {
                  m = std::max<int32_t>(m, in[ih * W + iw]);
                }
              }
            }
            // Gemmini's pooling counts window positions outside the input as 0, not -inf.
            out[oh * OW + ow] = static_cast<int8_t>(padded ? std::max(m, 0) : m);
          }
      }
      return Status::ok();
    };
    return Status::ok();
  }

  Status compile_gap(Node& n, Step& s) {
    const Shape& xs = n.inputs[0]->shape;
    const int64_t planes = xs[0] * xs[1], count = xs[2] * xs[3];
    const float scale = global_average_scale(count, scale_of(n.inputs[1]), scale_of(n.inputs[3]));
    Tensor* x = tensor(n.inputs[0]);
    Tensor* y = tensor(n.outputs[0]);
    s.stats.kind = "global_average";
    s.stats.matmul_I = planes;
    s.fn = [x, y, planes, count, scale](Step&, Profiler*) -> Status {
      for (int64_t p = 0; p < planes; ++p) {
        const int8_t* in = x->data<int8_t>() + p * count;
        int32_t sum = 0;
        for (int64_t i = 0; i < count; ++i) sum += in[i];
        y->data<int8_t>()[p] = global_average(sum, scale);
      }
      return Status::ok();
    };
    return Status::ok();
  }

  // A chain node whose producer is in another partition: its reference kernel, on this partition's tensors.
  Status compile_reference(Node& n, Step& s) {
    const OpSchema* schema = op_schema(n.op);
    if (!schema) return error("no reference kernel for {}", n.op_type);
    std::vector<Tensor*> ins, outs;
    for (Value* v : n.inputs) ins.push_back(tensor(v));
    for (Value* v : n.outputs) outs.push_back(tensor(v));
    s.stats.kind = "reference";
    s.fn = [schema, ins, outs](Step& st, Profiler*) -> Status {
      std::vector<Tensor> in, out;
      for (Tensor* t : ins) in.push_back(t ? *t : Tensor());
      for (Tensor* t : outs) out.push_back(t ? *t : Tensor());
      return schema->run(*st.node, in, out);
    };
    return Status::ok();
  }

  CompileRequest req_;
  BackendOptions o_;
  std::vector<Step> steps_;
  std::unordered_map<const Value*, Tensor> internal_;
  size_t internal_bytes_ = 0;
  std::unordered_map<const Node*, const Node*> fused_;  // conv <-> the MaxPool fused into it (both ways)
  std::unordered_set<const Node*> pooled_by_loop_;      // fused MaxPools whose conv loop writes their output
  std::unordered_map<const Node*, std::shared_ptr<onednn::Int8ConvS32>> fast_conv_;  // -x 0 (plan_channels_last)
  std::unordered_set<const Value*> channels_last_;  // -x 0: internal values held channels-last
};

class SystolicBackend final : public Backend {
 public:
  explicit SystolicBackend(BackendOptions o) : o_(std::move(o)), name_(backend_name(o_.mode)) {
    o_.config.dataflow = o_.mode == Mode::kOs ? Dataflow::kOS : Dataflow::kWS;
  }
  std::string_view name() const override { return name_; }
  Status supports(const Node& node) const override { return systolic_supports(node); }
  Result<std::unique_ptr<Executable>> compile(const CompileRequest& req) override {
    auto exe = std::make_unique<SystolicExecutable>(req, o_);
    INR_TRY(exe->compile());
    return std::unique_ptr<Executable>(std::move(exe));
  }

 private:
  BackendOptions o_;
  std::string name_;
};

}  // namespace

Status systolic_supports(const Node& node) {
  switch (node.op) {
    case Op::kDequantizeLinear:
    case Op::kRelu:
    case Op::kClip:
    case Op::kQuantizeLinear:
      return supports_chain_node(node);
    default:
      return supports_compute(node);
  }
}

std::unique_ptr<Backend> make_systolic_backend(const BackendOptions& options) {
  return std::make_unique<SystolicBackend>(options);
}

std::vector<NodeRunStats> systolic_executable_stats(const Executable& exe) {
  if (const auto* s = dynamic_cast<const SystolicExecutable*>(&exe)) return s->stats();
  return {};
}

ExecutableCost systolic_executable_cost(const Executable& exe) {
  if (const auto* s = dynamic_cast<const SystolicExecutable*>(&exe)) return s->total_cost();
  return {};
}

}  // namespace inr::systolic
