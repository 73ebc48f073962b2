// What every op provides (one file per op, src/ops/<file>.cc, listed in src/ir/op_list.def):
//  - infer: validates the node against the ONNX spec (attribute values, input ranks and dtypes) and sets
//    each output's dtype and shape. It runs when every input shape is concrete (the runtime specialises
//    the graph per input shape) and may read constant inputs (Reshape's shape, Pad's pads). It may set an
//    output's constant directly when the value follows from shapes alone (Shape).
//  - run: the reference kernel, the oracle for every backend. Inputs that are absent (optional) are
//    undefined Tensors; outputs are pre-allocated to the inferred dtype/shape. Because infer validated the
//    node, run needs no checks beyond what infer could not know.
#pragma once

#include <span>

#include "ir/graph.h"

namespace inr {

struct OpSchema {
  Op op = Op::kUnknown;
  int min_inputs = 1;
  int max_inputs = 1;  // -1: variadic
  int min_outputs = 1;
  int max_outputs = 1;
  Status (*infer)(Node& node) = nullptr;
  Status (*run)(const Node& node, std::span<const Tensor> inputs, std::span<Tensor> outputs) = nullptr;
};

// The schema of a listed op, or nullptr for Op::kUnknown.
const OpSchema* op_schema(Op op);

// Checks input/output counts and that inputs have known shapes, then calls the op's infer.
// Errors carry the node label: "node conv1 (Conv): weight rank 3, expected 4".
Status infer_node(Node& node);

// Allocates outputs per the inferred shapes and runs the reference kernel.
Result<std::vector<Tensor>> run_reference_node(const Node& node, std::span<const Tensor> inputs);

}  // namespace inr
