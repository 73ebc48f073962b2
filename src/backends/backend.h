// The backend contract. The runtime partitions a specialised graph (all shapes concrete) into runs of
// consecutive nodes, each taken by the first backend whose supports() accepts it, then asks that backend
// to compile the run into an Executable.
//
// Memory contract:
//  - Every value that crosses a partition boundary (read from outside, used outside, or a graph output)
//    lives in its runtime slot as a dense row-major ("plain") tensor; the runtime allocates those slots
//    from its liveness-planned arena before compile and never moves them afterwards.
//  - Values produced and consumed only inside a partition are the backend's business: it may keep them
//    in blocked layouts in its own buffers, allocated at compile time (steady-state runs allocate nothing).
//  - Constant values (weights) are in their slots from the start; a backend may reorder/copy them once
//    at compile time. A backend that keeps its own copy of a constant (reordered weights, a derived bias)
//    and never reads the slot's tensor again says so through `CompileRequest::constant_copied`, once the
//    node that reads it is compiled; the runtime then releases the graph's tensor when every consumer of the
//    constant is done with it (weights are held once: issue #16). A backend that says nothing keeps the
//    slot's tensor alive for the executable's lifetime.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/profiler.h"
#include "ir/graph.h"

namespace inr {

struct CompileRequest {
  const Graph* graph = nullptr;
  std::vector<Node*> nodes;  // topological order
  std::unordered_map<const Value*, int> slot_of;  // every value the partition touches
  std::unordered_set<const Value*> external;      // values that must be read from / written to slots
  std::vector<Tensor>* slots = nullptr;            // slot tensors (valid for the executable's lifetime)
  // Keep constants at about their own size: no weight transform that enlarges them (SessionOptions).
  bool compact_weights = false;
  // Optional. Called by the backend during compile, after it has compiled `node`, for each constant input of
  // the node whose tensor it will not read again (it holds what it needs in its own memory). The runtime may
  // release the constant's tensor (its slot and the graph's) as soon as every consumer has been reported.
  std::function<void(const Node& node, const Value& constant)> constant_copied;
};

class Executable {
 public:
  virtual ~Executable() = default;
  // Reads external inputs from their slots, writes external outputs to theirs.
  // When `profiler` is non-null, emits one "node" event per executed node (args: op_type, backend,
  // shapes) and optional nested "phase" events.
  virtual Status run(Profiler* profiler) = 0;
  // Bytes the executable allocated for internal activations and reordered weights.
  virtual size_t internal_bytes() const { return 0; }
  // Of those, the bytes of the backend's own copies of constants (reordered weights, biases).
  virtual size_t constant_bytes() const { return 0; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // May this backend run `node` (with its concrete input/output dtypes and shapes)? Ok, or an error whose
  // message says why not in words a user can act on ("weights 'w' f32[64,3,7,7] are not constant"); the
  // runtime logs it with the node's placement. Called once per node when a plan is built.
  virtual Status supports(const Node& node) const = 0;
  // True when every node should be its own partition (the reference backend).
  virtual bool one_node_per_partition() const { return false; }
  virtual Result<std::unique_ptr<Executable>> compile(const CompileRequest& request) = 0;
};

std::unique_ptr<Backend> make_reference_backend();
std::unique_ptr<Backend> make_onednn_backend();

// "op_type": .., "backend": .., "inputs": ["f32[1,3,224,224]", ..], "outputs": [..], "macs": N, "bytes": N
// and "kernel": the kernel(s) that ran it (oneDNN implementation names; the backend's name when empty).
std::string node_event_args(const Node& node, std::string_view backend, std::string_view kernel = {});
// Multiply-accumulates of a Conv/FusedConv/Gemm/MatMul node and of their integer forms (QLinearConv,
// ConvInteger, QGemm, QLinearMatMul, MatMulInteger); 0 for other ops and for unknown shapes.
int64_t node_macs(const Node& node);

}  // namespace inr
