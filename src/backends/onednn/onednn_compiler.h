// Internal to the oneDNN backend: lowering of a partition (a run of nodes) into a flat list of oneDNN
// primitives over memories whose places are planned once.
//
// Every value of the partition has one or more "versions": the same numbers in a given memory::desc
// (plain row-major, or a blocked layout such as nChw16c) at a given place (an arena buffer, a runtime
// slot, or backend-owned memory). A node reads the version whose layout its primitive wants; a missing
// one is made by a reorder right before the node and cached for later readers. Values that cross the
// partition boundary are plain in their slots; everything else stays in whatever layout its producer
// chose, so consecutive convolutions never reorder between each other.
//
// Arena buffers get [first, last] step intervals (step = node index within the partition) and are
// placed by plan_arena() into one pre-faulted Arena after all nodes are lowered.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "backends/backend.h"
#include "backends/onednn/onednn_backend.h"
#include "core/arena.h"
#include "ops/op_util.h"

namespace inr::onednn {

using dnnl::memory;
using Dims = memory::dims;

enum class Place { kArena, kSlot, kOwned, kScratchpad };

struct MemRef {
  Place place = Place::kArena;
  int index = -1;  // arena buffer, slot, or owned block
  bool operator==(const MemRef&) const = default;
};

struct Version {
  memory::desc md;
  MemRef ref;
};

// A step the backend computes itself (an element-wise int8 kernel oneDNN has no exact primitive for): called
// with the data pointers of the step's memories, in the order of Step::args.
using CustomKernel = std::function<void(void* const* data)>;
constexpr size_t kMaxCustomArgs = 8;

// One primitive execution with its arguments (DNNL_ARG_*, memory id in Program::mems), or one custom kernel
// (then `prim` is empty and the first of each arg pair is just its position).
struct Step {
  dnnl::primitive prim;
  CustomKernel custom;
  std::vector<std::pair<int, int>> args;
  int node = 0;          // partition-local node index the step belongs to (for the profiler)
  bool reorder = false;  // emitted as a "reorder" phase event
  std::string label;
  std::string impl;  // the kernel: oneDNN's implementation name or inr's own ("inr int8 requant")
  bool serial = false;  // run on the calling thread alone (a small memory-bound step; see kSerialStepBytes)
};

// A step that is not a matmul or convolution and whose largest operand is below this many bytes runs on
// the calling thread alone. Each oneDNN primitive is one statically split OpenMP region: when the other
// core is busy, every region waits for a descheduled thread (Swin-T batch 1 at 2 threads ran 4x slower
// than at 1 thread under a load average of 11 on the shared 2-core machine, its ~300 small element-wise
// steps each paying that wait), while on an idle machine splitting a pass over at most 2 MiB (the largest
// of Swin-T's and ViT-B/16's batch-1 element-wise tensors: attention scores, [3136, 96] activations) saves
// tens of microseconds. Matmuls and convolutions keep the team: their thread count is fixed when oneDNN
// creates them, and they are compute-bound.
constexpr size_t kSerialStepBytes = size_t{2} << 20;
// A matmul of fewer multiply-adds than this is created for, and runs on, the calling thread alone: below
// it (Swin's window attention, 2-15 M; ViT's are 30 M) a second thread saves well under 0.1 ms on an idle
// machine and costs a descheduled thread's wait on a busy one.
constexpr int64_t kSerialMatmulMacs = int64_t{16} << 20;

// While alive, primitives are created (and oneDNN's thread count fixed) for the calling thread alone.
class SerialScope {
 public:
  explicit SerialScope(bool on);
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  int saved_ = 0;
};

struct MemSpec {
  memory::desc md;
  MemRef ref;
};

// The result of lowering: what the executable needs to run.
struct Program {
  std::vector<Step> steps;
  std::vector<MemSpec> mems;
  std::vector<BufferLifetime> buffers;  // arena buffers, indexed by MemRef::index for Place::kArena
  std::vector<Arena> owned;             // reordered weights, biases, constant operands
  size_t scratchpad_bytes = 0;
  OnednnExecutableStats stats;
};

// Plain (dense row-major) descriptor of `shape` (f32 unless `type` says otherwise); a rank-0 shape is
// treated as [1].
memory::desc plain_md(const Shape& shape, memory::data_type type = memory::data_type::f32);
// The plain descriptor of a value in its own dtype (f32, u8, s8 or s32; see dnnl_type).
memory::desc plain_md(const Value* v);
// oneDNN's data type for the dtypes the backend handles (f32 u8 s8 i32); undef for any other.
memory::data_type dnnl_type(DType t);
Dims to_dims(const Shape& shape);
// A short human name for a descriptor: "plain", "nChw16c", "blocked".
std::string md_name(const memory::desc& md);

class Compiler {
 public:
  Compiler(const CompileRequest& request, const dnnl::engine& engine);
  // Lowers every node; throws dnnl::error on oneDNN failures (the caller converts to Status).
  Status lower();
  Program take() { return std::move(program_); }

  // ---- helpers for the per-op lowerings (onednn_lower_*.cc) ----
  const dnnl::engine& engine() const { return engine_; }
  // The value's current main version (materialising a constant as an owned plain copy if needed).
  Version current(Value* v);
  // A version of `v` in layout `md`, reordering the main version at `step` if none exists yet.
  Version as(Value* v, const memory::desc& md, int step);
  // A fresh place for output `v` in layout `md`: its slot when `v` is external and `md` is plain,
  // otherwise an arena buffer alive from `step` to the value's last use. Becomes v's main version.
  Version output(Value* v, const memory::desc& md, int step);
  // An arena buffer for intermediate results inside one node (alive at `step` only).
  Version temporary(const memory::desc& md, int step);
  // Makes `ver` (an existing place, e.g. an input computed in place) v's main version, extending its
  // arena buffer to v's last use.
  Version alias_output(Value* v, const Version& ver, int step);
  // True when `ver` is an arena buffer nobody reads after `step` and no other input of the node uses:
  // the node may overwrite it (in-place eltwise, residual sum post-op).
  bool can_overwrite(const Version& ver, int step, const std::vector<Version>& other_inputs) const;
  // After the node's primitives: copies v's main version into its slot when v is external and the
  // main version lives elsewhere.
  void finish_output(Value* v, int step);
  // Adds a reorder from `src` to `dst` at `step`.
  void add_reorder(const Version& src, const Version& dst, int step, std::string label);
  // Adds a compute primitive. `args` pair DNNL_ARG_* with versions; the scratchpad is appended when the
  // primitive descriptor asks for one.
  void add_primitive(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
                     const std::vector<std::pair<int, Version>>& args, int step, const std::string& what);
  // Adds a custom kernel over `args` (its inputs and outputs, in the order the kernel expects).
  // `impl` names the kernel in the stats (the trace and `inr bench` print it).
  void add_custom(CustomKernel kernel, const std::vector<Version>& args, int step, const std::string& what,
                  const std::string& impl = "inr element-wise");
  // Copies `data` (plain in `src_md`, of its data type) into owned memory laid out as `dst_md` (weights at
  // compile time; int8 weight descriptors may carry oneDNN's compensation, which the reorder computes).
  Version owned_constant(const void* data, const memory::desc& src_md, const memory::desc& dst_md);
  // The node being lowered will not read constant `v`'s graph tensor again: the backend holds what it needs
  // of it (an owned_constant copy, a derived copy captured by a kernel). Reported through
  // CompileRequest::constant_copied once the node is lowered, so the runtime can release the tensor.
  void copied(const Value* v);
  // Primitive attributes every primitive gets (user-managed scratchpad).
  static dnnl::primitive_attr base_attr();

  // ---- post-ops on a matmul already emitted (fusions found while lowering its reader) ----
  // Records that the matmul step just added (add_primitive) wrote `y`, with the descriptors it was created
  // from (exact weights layout; bias empty when none) and its arguments (without the scratchpad).
  // `serial`: created under a SerialScope, runs on the calling thread (the step is marked so).
  void note_matmul(Value* y, int step, const memory::desc& src, const memory::desc& wei, const memory::desc& bias,
                   const memory::desc& dst, const std::vector<std::pair<int, Version>>& args, bool serial);
  // y is a view of x (Reshape): it is the same matmul output when the view is x's only reader.
  void forward_matmul(Value* x, Value* y, int step);
  // Appends post-ops to the matmul that wrote `in` when the node at `step` is `in`'s only reader: `add`
  // appends to the chain and returns the extra arguments they read; `new_dst`, when given, is where the
  // matmul writes instead (a sum post-op accumulates into it). False, with nothing changed, when there is
  // no such matmul or oneDNN has no fast kernel for the longer chain. On success the matmul's output is
  // the node's result: the caller aliases its output to it (current(in), or new_dst).
  using PostOpAdder = std::function<std::vector<std::pair<int, Version>>(dnnl::post_ops&)>;
  bool append_post_op(Value* in, int step, const PostOpAdder& add, const Version* new_dst = nullptr);
  // The partition step of the matmul that wrote `in` (-1 if none) and its source memory.
  int matmul_step(const Value* in) const;
  MemRef matmul_src(const Value* in) const;
  // The plain descriptor the matmul that wrote `in` writes through (empty if none).
  memory::desc matmul_dst(const Value* in) const;
  // The partition step of the node producing `v` (-1 when outside the partition).
  int producer_step(const Value* v) const;

  const CompileRequest& request() const { return req_; }
  // The partition's nodes that read `v` (all of its readers when `v` is not external).
  std::vector<const Node*> readers(const Value* v) const;
  bool is_external(const Value* v) const;

 private:
  struct ValueState {
    std::vector<Version> versions;  // [0] is the main one
    int last_use = -1;              // last step that reads it inside the partition
  };
  ValueState& state(Value* v);
  int mem_id(const Version& ver);
  int new_buffer(size_t bytes, int first, int last);

  struct MatmulRecord {
    size_t step_index = 0;  // in program_.steps
    size_t impl_index = 0;  // in program_.stats.impls
    int node = 0;           // partition step of the matmul node
    memory::desc src, wei, bias, dst;
    dnnl::post_ops ops;
    std::vector<std::pair<int, Version>> args;
    bool serial = false;
  };
  std::vector<MatmulRecord> matmuls_;
  std::unordered_map<const Value*, size_t> matmul_of_;

  const CompileRequest& req_;
  dnnl::engine engine_;
  dnnl::stream compile_stream_;
  Program program_;
  std::unordered_map<const Value*, ValueState> values_;
  std::vector<const Value*> copied_;  // constants the node being lowered has copied (see copied())
};

// Whether oneDNN picked its reference (plain C++) implementation for a primitive.
bool is_reference_impl(const dnnl::primitive_desc_base& pd);

// How a pooling node maps onto oneDNN pooling; an error when it cannot be expressed exactly.
struct PoolPlan {
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  Dims kernel, strides, dilation, pad_l, pad_r;  // dilation in oneDNN's convention (0 = dense)
};
Result<PoolPlan> pool_plan(const Node& node);

// oneDNN 2.6's convolution, deconvolution and pooling descriptors (src/common/{convolution,pooling}.cpp,
// *_desc_init) copy each spatial dim, kernel, dilation, pad and stride into a 32-bit `int` and compute
// 1 + (k - 1) * (dilation + 1) and src - ker_range + pad_l + pad_r in `int`: a value or a step beyond
// INT32_MAX fails there with "could not create a descriptor" (status 2), so supports() refuses such a
// window and the node runs on the reference backend. ONNX's convention for `dilation` (1 = dense); `out` is
// the output's spatial dims; pad_r as the plan passes it (pooling enlarges it for ceil_mode).
Status window_fits_onednn_int(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                              const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                              const std::vector<int64_t>& dilation, const std::vector<int64_t>& pad_l,
                              const std::vector<int64_t>& pad_r);

// An element-wise activation node as a chain of oneDNN eltwise stages (HardSigmoid needs two).
struct EltwiseStage {
  dnnl::algorithm alg;
  float alpha = 0.f, beta = 0.f;
};
Result<std::vector<EltwiseStage>> eltwise_stages(const Node& node);

// A descriptor over `md`'s memory with only strides (no inner blocking): a plain or permuted (transposed)
// view that a matmul can read or write directly.
bool is_strided_view(const memory::desc& md);
// The descriptor, in `x`'s dims, of Transpose(x, perm)'s plain output: writing x through it lays out the
// transposed tensor row-major (and reading the plain output through it reads x).
memory::desc transposed_md(const Shape& x, memory::data_type type, const std::vector<int64_t>& perm);
// Transpose's perm attribute (the reversed axes when absent).
std::vector<int64_t> transpose_perm(const Node& n);
// Whether a MatMul takes the batched route (a runtime or batched B) of lower_matmul, which reads strided
// operands and writes a strided output.
bool is_batched_matmul(const Node& n);

// Per-op lowerings. Each appends the node's primitives at `step`.
Status lower_conv(Compiler& c, Node& node, int step);
Status lower_pool(Compiler& c, Node& node, int step);
Status lower_eltwise(Compiler& c, Node& node, int step);
Status lower_binary(Compiler& c, Node& node, int step);
Status lower_concat(Compiler& c, Node& node, int step);
Status lower_split(Compiler& c, Node& node, int step);
Status lower_softmax(Compiler& c, Node& node, int step);
Status lower_reshape(Compiler& c, Node& node, int step);
Status lower_batch_norm(Compiler& c, Node& node, int step);
Status lower_matmul(Compiler& c, Node& node, int step);
Status lower_layer_norm(Compiler& c, Node& node, int step);
Status lower_transpose(Compiler& c, Node& node, int step);
Status lower_qlinear_conv(Compiler& c, Node& node, int step);
Status lower_quantize_linear(Compiler& c, Node& node, int step);
Status lower_dequantize_linear(Compiler& c, Node& node, int step);
Status lower_qlinear_matmul(Compiler& c, Node& node, int step);
Status lower_qlinear_add(Compiler& c, Node& node, int step);
Status lower_qlinear_gap(Compiler& c, Node& node, int step);
Status lower_qgemm(Compiler& c, Node& node, int step);

// Activation of FusedConv (attrs "activation", "activation_params") as oneDNN eltwise post-ops.
Status append_activation(dnnl::post_ops& ops, const std::string& activation, const std::vector<float>& params);

// supports() of the backend (onednn_supports.cc): ok, or why the node stays on another backend.
Status onednn_support(const Node& node);
// Whether a QLinearConv node has an exact int8 oneDNN lowering (onednn_lower_qconv.cc): 2-D, u8/s8 x,
// constant s8 weights with zero point 0, constant per-tensor x/y parameters, per-tensor or per-channel
// w_scale, optional constant int32 bias (u8 weights with zero point 128 are taken as s8 w - 128); exact on
// every CPU tier (onednn_int8.h's int8_route). Like the others below: ok, or the reason it has none.
Status qlinear_conv_support(const Node& node);
// Whether a QuantizeLinear (f32 -> u8/s8) or DequantizeLinear (u8/s8 -> f32) has an exact lowering
// (onednn_lower_quant.cc): per-tensor constant f32 scale and constant zero point, non-constant x.
Status quant_linear_support(const Node& node);
// Whether a QLinearMatMul has an exact int8 lowering (onednn_lower_qmatmul.cc): 2-D u8/s8 a, constant 2-D s8 b
// with zero point 0 (or u8 with 128), per-tensor or per-column b_scale, constant per-tensor a/y parameters.
Status qlinear_matmul_support(const Node& node);
// Whether a com.microsoft QLinearAdd runs in the backend (onednn_lower_custom.cc): A and B of the output's
// shape, constant per-tensor scales and zero points.
Status qlinear_add_support(const Node& node);
// Whether a com.microsoft QLinearGlobalAveragePool runs in the backend (onednn_lower_custom.cc): 4-D NCHW
// (channels_last 0), constant per-tensor parameters.
Status qlinear_gap_support(const Node& node);
// Whether a com.microsoft QGemm runs in the backend (onednn_lower_qmatmul.cc): 2-D u8/s8 A without transA,
// constant s8 B with zero point 0, constant per-tensor A / output parameters, per-tensor or per-column
// b_scale, an optional constant int32 C.
Status qgemm_support(const Node& node);
// The CPU's int8 kernels accumulate exactly (VNNI or AMX; older ones saturate int16 pair sums).
bool cpu_has_exact_int8();

}  // namespace inr::onednn
