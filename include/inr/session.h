// inr::Session: load an ONNX model, specialise it to input shapes, and run it.
//
// Lifecycle: load/create -> (first run with a given set of input shapes: passes, partition into
// backends, compile, plan memory; cached per shape) -> run. A steady-state `run_into` with shapes
// seen before allocates nothing. Integer (int64/int32) inputs of rank <= 1 with at most 64 elements are
// treated as values the shapes may depend on (a Reshape's shape or Pad's pads fed by the caller): the plan
// is specialised to their values too, and a run with other values builds (and caches) another plan. The
// shape-only queries below cannot know such values and fail when a shape depends on one. Shapes computed
// from the data itself (a Pad's pads from a ReduceMax, a Slice's end from an ArgMax) are handled the same way:
// a run first runs a probe plan that computes just those values, then the plan specialised to them.
// Thread safety: a Session runs one inference at a time (calls are serialised internally); use one
// Session per thread for concurrent inference.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inr/status.h"
#include "inr/tensor.h"

namespace inr {

class Graph;
class Profiler;

// Upper bound of SessionOptions::threads (and the CLI's --threads): twice the hardware threads of the largest
// x86 servers (2 x 256), so no real machine is refused, while a typo such as 10000 is an error rather than a
// process that stalls creating OpenMP threads (10000 hung; 100000 crashed under a memory limit).
inline constexpr int kMaxSessionThreads = 1024;

struct SessionOptions {
  // 0: no passes; 1: canonical (constant folding, BatchNorm folding, Identity/Dropout removal);
  // 2 and above: canonical + fusion (Conv+activation, Conv+Add(+Relu)).
  int opt_level = 99;
  // Intra-op threads (OpenMP); 0 keeps the runtime's default (OMP_NUM_THREADS or all cores); at most
  // kMaxSessionThreads.
  int threads = 0;
  // "auto": each node goes to the first backend that supports it (onednn, then reference);
  // "reference" or "onednn": prefer that backend (unsupported nodes fall back to reference);
  // "systolic-cpu" | "systolic-os" | "systolic-ws" (the runner's -x 0 | 1 | 2): the emulated Gemmini first
  // (its arithmetic on the CPU, or its output-/weight-stationary tile model), then onednn, then reference.
  std::string backend = "auto";
  // The emulated Gemmini's configuration (JSON, backends/systolic/config.h); empty: Gemmini's defaults.
  std::string systolic_config;
  // Optional profiler receiving session and per-node events (Chrome trace); not owned.
  Profiler* profiler = nullptr;
  // true: backends keep weights at about their own size, skipping transforms that enlarge them for speed
  // (oneDNN's Winograd 3x3 convolutions hold 1.8-4x larger weights: ResNet50's 102 MB become 132 MB, plus
  // 9 MB of scratchpad). `inr classify` sets it: one image does not repay the transform. Numerics are those
  // of the direct convolution, within the fp32 parity tolerance like Winograd's.
  bool compact_weights = false;
};

struct IoInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;  // -1 for a dynamic dim
  // The model's name of each dynamic dim (ONNX dim_param, e.g. "batch_size"), "" where it names none;
  // empty when the model names no dim.
  std::vector<std::string> dim_params;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> load(const std::string& onnx_path, const SessionOptions& options = {});
  // Takes ownership of an already-built graph (tests, synth).
  static Result<std::unique_ptr<Session>> create(std::unique_ptr<Graph> graph, const SessionOptions& options = {});
  ~Session();

  const std::vector<IoInfo>& inputs() const;
  const std::vector<IoInfo>& outputs() const;

  // Runs with the given inputs (in graph-input order) and returns freshly allocated outputs.
  Result<std::vector<Tensor>> run(std::span<const Tensor> inputs);
  // Runs into caller-provided outputs (shapes must match `output_shapes(inputs)`): no allocation in
  // the steady state.
  Status run_into(std::span<const Tensor> inputs, std::span<Tensor> outputs);
  // Output shapes for the given input shapes (specialises the graph if needed).
  Result<std::vector<Shape>> output_shapes(std::span<const Shape> input_shapes);

  // A summary of how the graph specialised for these shapes was placed: "onednn: 52 nodes, reference: 3".
  Result<std::string> placement_summary(std::span<const Shape> input_shapes);
  // The kernel each compute step runs, for the graph specialised for these shapes: "node conv1 main:
  // jit_uni_int8:avx2" (oneDNN's implementation name, or inr's own kernel), one per step; nodes on the
  // reference backend read "node X: reference".
  Result<std::vector<std::string>> kernels(std::span<const Shape> input_shapes);
  // What the emulated Gemmini (-x 1 / -x 2, backends "systolic-os" / "systolic-ws") would spend on one run with
  // these input shapes, from its cycle model: simulated cycles, useful MACs and DMA bytes of the nodes it
  // takes (nodes on other backends count nothing), utilisation = MACs / (PEs * cycles), the clock of its
  // config. All zero for other backends.
  struct AcceleratorCost {
    int64_t cycles = 0, macs = 0, dma_bytes = 0;
    int nodes = 0;
    double utilization = 0, clock_hz = 0;
  };
  Result<AcceleratorCost> accelerator_cost(std::span<const Shape> input_shapes);
  // Bytes of the activation arena planned for these shapes.
  Result<size_t> arena_bytes(std::span<const Shape> input_shapes);
  // Where the weights are held once the plan for these shapes is compiled (issue #16: weights are held once).
  // A session loaded from a file gives its imported graph to its first plan and reads the file again for a
  // later set of input shapes; a session created from a graph keeps that graph (and its tensors) for them.
  struct WeightMemory {
    // Constant tensors (initializers, folded constants) the session still holds, each storage counted once:
    // those a backend reads in place at run time (the reference backend), those no backend copies, and the
    // graph a session created from memory keeps for later plans.
    size_t graph_bytes = 0;
    // Constants released after every backend that reads them made its own copy.
    size_t released_bytes = 0;
    // The backends' own copies: oneDNN's reordered weights and biases.
    size_t backend_bytes = 0;
  };
  Result<WeightMemory> weight_memory(std::span<const Shape> input_shapes);
  // Attaches a profiler (not owned; null detaches) that receives the events of later calls, replacing
  // SessionOptions::profiler: `inr bench --per-op` times the nodes in runs of their own this way, so the
  // timed runs carry no profiling cost.
  void set_profiler(Profiler* profiler);

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inr
