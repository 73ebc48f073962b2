// Quantization parameters (following onnxruntime/python/tools/quantization/quant_utils.py) and graph
// helpers shared by the quantizer's passes.
#include "quant/quant_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "onnx/onnx_io.h"
#include "passes/passes.h"

namespace inr::quant {

void qrange(const QRangeSpec& spec, int32_t& qmin, int32_t& qmax) {
  if (spec.offset128 && spec.dtype == DType::kU8) {
    qrange({DType::kI8, true, spec.reduce_range}, qmin, qmax);
    qmin += 128;
    qmax += 128;
    return;
  }
  if (spec.dtype == DType::kI4) {
    qmin = spec.symmetric ? -7 : -8;
    qmax = 7;
    return;
  }
  if (spec.dtype == DType::kI8) {
    if (spec.reduce_range) {
      qmin = -64;
      qmax = 64;
    } else if (spec.symmetric) {
      qmin = -127;
      qmax = 127;
    } else {
      qmin = -128;
      qmax = 127;
    }
  } else {
    qmin = 0;
    qmax = spec.reduce_range ? 127 : 255;
  }
}

void scale_zp(float lo, float hi, const QRangeSpec& spec, float& scale, int32_t& zp) {
  if (spec.offset128 && spec.dtype == DType::kU8) {
    scale_zp(lo, hi, {DType::kI8, true, spec.reduce_range}, scale, zp);
    zp = 128;
    return;
  }
  int32_t qmin, qmax;
  qrange(spec, qmin, qmax);
  double rmin = std::min(0.0, static_cast<double>(lo)), rmax = std::max(0.0, static_cast<double>(hi));
  if (spec.symmetric) {
    double absmax = std::max(std::fabs(rmin), std::fabs(rmax));
    rmin = -absmax;
    rmax = absmax;
  }
  double s = (rmax - rmin) / static_cast<double>(qmax - qmin);
  if (!(s > 0) || !std::isfinite(s)) s = 1.0;
  scale = static_cast<float>(s);
  if (spec.symmetric) {
    zp = (qmax + qmin + 1) / 2;  // 0 for s8, 128 for u8 (ORT)
    if (spec.dtype == DType::kI8 || spec.dtype == DType::kI4) zp = 0;
  } else {
    double z = std::nearbyint(static_cast<double>(qmin) - rmin / static_cast<double>(scale));
    zp = static_cast<int32_t>(std::clamp(z, static_cast<double>(qmin), static_cast<double>(qmax)));
  }
}

QParams params_for_range(Range r, const QRangeSpec& spec) {
  QParams p;
  p.dtype = spec.dtype;
  p.scale.resize(1);
  p.zero_point.resize(1);
  scale_zp(r.lo, r.hi, spec, p.scale[0], p.zero_point[0]);
  return p;
}

bool Analysis::is_float_activation(const Value* v) const {
  if (!v || is_const(v)) return false;
  auto it = dtype.find(v->name);
  DType t = it != dtype.end() ? it->second : v->dtype;
  return t == DType::kF32;
}

Result<Analysis> analyse(const Graph& graph) {
  INR_ASSIGN_OR_RETURN(Graph g, graph.clone());
  std::vector<Shape> shapes;
  for (const Value* v : g.inputs) {
    if (!v->has_shape) return error("graph input '{}' has no shape; inr quantize needs ranked inputs", v->name);
    Shape s = v->shape;
    for (int64_t& d : s)
      if (d < 0) d = 1;
    shapes.push_back(s);
  }
  INR_TRY(bind_input_shapes(g, shapes));
  INR_TRY(infer_shapes(g, /*fold_all=*/false));
  Analysis a;
  for (const auto& v : g.values()) {
    a.dtype[v->name] = v->dtype;
    if (v->has_shape) a.shape[v->name] = v->shape;
    if (v->is_constant()) a.constant.insert(v->name);
  }
  return a;
}

Tensor scalar_f32(float v) { return Tensor::from_vector<float>(DType::kF32, {}, {v}); }

Tensor params_scale_tensor(const QParams& p) {
  Shape s = p.axis < 0 ? Shape{} : Shape{static_cast<int64_t>(p.scale.size())};
  return Tensor::from_vector<float>(DType::kF32, s, p.scale);
}

Tensor params_zp_tensor(const QParams& p) {
  Shape s = p.axis < 0 ? Shape{} : Shape{static_cast<int64_t>(p.zero_point.size())};
  Tensor t = Tensor::empty(p.dtype, s);
  if (p.dtype == DType::kI4 || p.dtype == DType::kU4) {  // packed two per byte, low nibble first
    std::memset(t.raw(), 0, t.bytes());
    for (size_t i = 0; i < p.zero_point.size(); ++i)
      t.data<uint8_t>()[i / 2] |= static_cast<uint8_t>((p.zero_point[i] & 0xf) << (4 * (i % 2)));
    return t;
  }
  for (size_t i = 0; i < p.zero_point.size(); ++i) {
    if (p.dtype == DType::kI8) t.data<int8_t>()[i] = static_cast<int8_t>(p.zero_point[i]);
    else if (p.dtype == DType::kU8) t.data<uint8_t>()[i] = static_cast<uint8_t>(p.zero_point[i]);
    else t.data<int32_t>()[i] = p.zero_point[i];
  }
  return t;
}

std::string node_key(const Node* n) {
  if (!n->name.empty()) return n->name;
  return n->outputs.empty() || !n->outputs[0] ? std::string("?") : n->outputs[0]->name;
}

bool node_matches(const Node* n, const std::vector<std::string>& names) {
  for (const auto& s : names) {
    if (!n->name.empty() && n->name == s) return true;
    for (const Value* o : n->outputs)
      if (o && o->name == s) return true;
  }
  return false;
}

Status check_selection(const Graph& g, const std::vector<std::string>& exclude, const std::vector<std::string>& op_types) {
  std::vector<std::string> unknown_names, unknown_ops, absent_ops;
  for (const std::string& name : exclude) {
    bool found = false;
    for (const auto& n : g.nodes()) found = found || node_matches(n.get(), {name});
    if (!found) unknown_names.push_back(name);
  }
  for (const std::string& t : op_types) {
    if (op_from_onnx("", t) == Op::kUnknown && op_from_onnx("com.microsoft", t) == Op::kUnknown) {
      unknown_ops.push_back(t);
      continue;
    }
    bool present = false;
    for (const auto& n : g.nodes()) present = present || n->op_type == t;
    if (!present) absent_ops.push_back(t);
  }
  std::vector<std::string> problems;
  if (!unknown_names.empty())
    problems.push_back(fmt::format("--exclude: no node or output named {}", fmt::join(unknown_names, ", ")));
  if (!unknown_ops.empty()) problems.push_back(fmt::format("--op-types: unknown op {}", fmt::join(unknown_ops, ", ")));
  if (!absent_ops.empty())
    problems.push_back(fmt::format("--op-types: the model has no {} node", fmt::join(absent_ops, ", ")));
  if (problems.empty()) return Status::ok();
  return error("{}", fmt::join(problems, "; "));
}

void set_opset(Graph& g, int64_t opset) {
  g.opset = opset;
  for (const auto& n : g.nodes())
    if (n->domain.empty()) n->attrs["_opset"] = Attr::of_int(opset);
}

Status upgrade_to_opset13(Graph& g) {
  if (g.opset >= 13) return Status::ok();
  if (g.opset < 11) return error("opset {} model: per-channel QDQ needs opset 13; upgrade the model to 11+ first", g.opset);
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes) {
    if (!n->domain.empty()) continue;
    const std::string& t = n->op_type;
    std::string key = (t == "Split") ? "split" : "axes";
    bool moves = t == "Squeeze" || t == "Unsqueeze" || t == "ReduceSum" || t == "Split";
    if (moves && n->has_attr(key)) {
      std::vector<int64_t> v = n->attr_ints(key);
      n->attrs.erase(key);
      Value* c = g.add_constant(node_key(n) + "_" + key, Tensor::from_vector<int64_t>(DType::kI64, {static_cast<int64_t>(v.size())}, v));
      if (t == "Split" || t == "ReduceSum" || t == "Squeeze" || t == "Unsqueeze") {
        n->inputs.resize(1);
        n->inputs.push_back(c);
      }
    }
    if ((t == "Softmax" || t == "LogSoftmax" || t == "Hardmax") && !n->has_attr("axis"))
      n->attrs["axis"] = Attr::of_int(1);  // opset < 13 default; exact for 2-D inputs
  }
  set_opset(g, 13);
  g.rebuild_uses();
  return Status::ok();
}

Status upgrade_to_opset21(Graph& g) {
  if (g.opset >= kOpset4Bit) return Status::ok();
  INR_TRY(upgrade_to_opset13(g));
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes) {
    if (!n->domain.empty() || n->op_type != "ReduceMean" || !n->has_attr("axes")) continue;
    std::vector<int64_t> v = n->attr_ints("axes");
    n->attrs.erase("axes");
    n->inputs.resize(1);
    n->inputs.push_back(
        g.add_constant(node_key(n) + "_axes", Tensor::from_vector<int64_t>(DType::kI64, {static_cast<int64_t>(v.size())}, v)));
  }
  set_opset(g, kOpset4Bit);
  g.rebuild_uses();
  return Status::ok();
}

Result<bool> four_bit_weights(int weight_bits) {
  if (weight_bits != 8 && weight_bits != 4) return error("--weight-bits must be 8 or 4, got {}", weight_bits);
  return weight_bits == 4;
}

Status check_not_quantized(const Graph& graph) {
  static const char* kQuantOps[] = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv",
                                    "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearGlobalAveragePool",
                                    "QLinearConcat", "QLinearAveragePool", "ConvInteger", "MatMulInteger", "QGemm"};
  for (const auto& n : graph.nodes())
    for (const char* q : kQuantOps)
      if (n->op_type == q) return error("model is already quantized (has {}, {}); quantize the float model instead", q, n->label());
  for (const auto& v : graph.values())
    if (v->is_constant() && v->constant.dtype() == DType::kF16)
      return error("model has fp16 weights ('{}'); quantize the fp32 model instead", v->name);
  return Status::ok();
}

}  // namespace inr::quant
