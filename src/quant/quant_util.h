// Helpers shared by the quantizer's passes: quantization parameters, weight/bias quantization and small
// graph-building utilities. Internal to src/quant.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "quant/observer.h"
#include "quant/quantize.h"

namespace inr::quant {


struct QRangeSpec {
  DType dtype = DType::kU8;
  bool symmetric = false;
  bool reduce_range = false;
  // u8 only: the symmetric s8 grid shifted by 128 (scale max|x| / 127, zero point 128, values [1, 255];
  // with reduce_range [64, 192]), i.e. exactly the s8 weights + 128 (--target portable).
  bool offset128 = false;
};
// qmin/qmax of a type (ORT get_qmin_qmax_for_qType): s8 symmetric -> [-127, 127]; reduce_range -> 7 bits;
// offset128 -> the s8 symmetric range + 128. s4 (symmetric only, --weight-bits 4) -> [-7, 7], so the scale is
// max|x| / 7: AIMET's symmetric 4-bit grid (delta = max / floor((2^4 - 1) / 2), offset -8, the INT4 range
// [-8, 7]; a value at -8 only arises from a clipped range, never from the tensor's own max|x|).
void qrange(const QRangeSpec& spec, int32_t& qmin, int32_t& qmax);
// ORT compute_scale_zp: the range is widened to contain 0; symmetric uses max |x|; a zero range gives
// scale 1. offset128: the s8 symmetric scale, zero point 128.
void scale_zp(float lo, float hi, const QRangeSpec& spec, float& scale, int32_t& zp);
QParams params_for_range(Range r, const QRangeSpec& spec);

// Quantizes a float tensor with per-tensor or per-channel (`axis` >= 0) parameters computed from the
// tensor's own min/max (weights.cc).
Tensor quantize_weight(const Tensor& w, const QRangeSpec& spec, int64_t axis, QParams& out);
// Applies given params (activation-typed constants).
Tensor quantize_with(const Tensor& x, const QParams& p);
// Quantizes a float weight with given per-tensor or per-channel (p.axis) params, saturating to the full range
// of p.dtype (s8 [-128, 127], s4 [-8, 7], ...: AIMET's grids); --encodings.
Tensor quantize_weight_with(const Tensor& w, const QParams& p);
// int32 bias = round(b / (x_scale * w_scale[c])), clamped to int32.
Tensor quantize_bias(const Tensor& b, float x_scale, const std::vector<float>& w_scale);

// Dtype / constness of every value, learned from a clone specialised to batch 1 (dynamic dims -> 1).
struct Analysis {
  std::map<std::string, DType> dtype;
  std::map<std::string, Shape> shape;
  std::set<std::string> constant;  // initializers and values shape inference folded
  bool is_float_activation(const Value* v) const;
  bool is_const(const Value* v) const { return v && (v->is_constant() || constant.count(v->name)); }
};
Result<Analysis> analyse(const Graph& graph);

Tensor scalar_f32(float v);
Tensor params_scale_tensor(const QParams& p);
Tensor params_zp_tensor(const QParams& p);
std::string node_key(const Node* n);  // node name, or its first output's name when unnamed
// True when any of the node's names matches `names`.
bool node_matches(const Node* n, const std::vector<std::string>& names);
// --exclude and --op-types against the model: every excluded name must be a node or an output of one, and
// every op type an op inr knows that the model has; otherwise an error naming all the misses at once (a
// typo would otherwise quantize what the user meant to leave float, without a word).
Status check_selection(const Graph& g, const std::vector<std::string>& exclude, const std::vector<std::string>& op_types);
// Sets the ai.onnx opset of the graph and of every node's private "_opset" attribute.
void set_opset(Graph& g, int64_t opset);
// Upgrades an opset 11/12 graph to 13 (Squeeze/Unsqueeze/ReduceSum axes and Split sizes become inputs).
Status upgrade_to_opset13(Graph& g);
// Upgrades an opset 11..20 graph to 21, the first with INT4 DequantizeLinear: first to 13, then ReduceMean's
// axes attribute becomes an input (opset 18). Between 13 and 21 no other op inr knows changes meaning (the
// other revisions add types or attributes whose defaults keep the old behaviour).
Status upgrade_to_opset21(Graph& g);
// Weight quantization at 4 bits: 4 -> true, 8 -> false, anything else an error.
Result<bool> four_bit_weights(int weight_bits);

}  // namespace inr::quant
