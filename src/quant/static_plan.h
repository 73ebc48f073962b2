// What static quantization decided, handed to the writers (write_qdq.cc, write_qop.cc). Internal.
#pragma once

#include <map>
#include <set>
#include <string>

#include "quant/quant_util.h"

namespace inr::quant {

struct StaticPlan {
  std::set<const Node*> nodes;          // nodes of the working graph to quantize
  std::map<std::string, QParams> act;   // activation tensor name -> per-tensor params
  QRangeSpec act_spec, weight_spec;
  bool per_channel = false;
  // Weight grids given by --encodings or fixed by AdaRound / bias correction (ptq.h; the constant then lies
  // on the grid) (float initializer name -> params, axis set); the others are computed from the weight's own
  // range with weight_spec.
  std::map<std::string, QParams> weights;
};

// Role of input i of a quantizable node.
enum class InputRole { kActivation, kWeight, kBias, kConstAct, kFloat };
InputRole input_role(const Node* n, size_t i, const Analysis& a);
// Channel axis of a weight for per-channel quantization (-1: per tensor only).
int64_t weight_axis(const Node* n);

// `written` (may be null) receives the weight grids used, by float initializer name.
Status write_qdq(Graph& g, const StaticPlan& plan, const Analysis& a, std::map<std::string, QParams>* written = nullptr);
Status write_qop(Graph& g, const StaticPlan& plan, const Analysis& a, QuantReport& report);

}  // namespace inr::quant
