// Import of ai.onnx opsets 1..6: rewrites a node of such a model into the form its op file implements
// (see legacy_opsets.cc for the list of changes). Called by the importer for every node, after its
// attributes are read; a no-op from opset 7.
#pragma once

#include "ir/graph.h"

namespace inr {

Status upgrade_legacy_node(Graph& graph, Node& node, int64_t opset);

}  // namespace inr
