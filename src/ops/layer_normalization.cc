// LayerNormalization: normalises X over its dims [axis, rank) (axis default -1):
// Y = (X - mean) / sqrt(var + epsilon) * Scale + B, with Scale and the optional B broadcast to those dims;
// optional outputs Mean and InvStdDev have X's shape with the normalised dims set to 1.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__LayerNormalization.html (opset 17). Opset-13 exports
// spell it out as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add; passes/fuse_transformer.cc folds
// that pattern into this op. Statistics in double (stash_type only names the precision of the
// statistics, and double is at least f32).
#include <cmath>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  auto rank = static_cast<int64_t>(s.size());
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  auto a = static_cast<size_t>(axis);
  int64_t rows = dims_product(s, 0, a), len = dims_product(s, a, s.size());
  double eps = node.attr_float("epsilon", 1e-5f);
  Shape norm(s.begin() + axis, s.end());
  std::vector<int64_t> ss = broadcast_strides(in[1].shape(), norm.size());
  bool has_b = in.size() > 2 && in[2].defined();
  std::vector<int64_t> sb = has_b ? broadcast_strides(in[2].shape(), norm.size()) : std::vector<int64_t>{};
  // Offset of each normalised element in Scale and B.
  std::vector<int64_t> off_s(static_cast<size_t>(len)), off_b(static_cast<size_t>(len), 0);
  std::vector<int64_t> idx(norm.size(), 0);
  for (int64_t j = 0; j < len; ++j) {
    int64_t os = 0, ob = 0;
    for (size_t d = 0; d < norm.size(); ++d) {
      os += idx[d] * ss[d];
      if (has_b) ob += idx[d] * sb[d];
    }
    off_s[j] = os;
    off_b[j] = ob;
    for (size_t d = norm.size(); d-- > 0;) {
      if (++idx[d] < norm[d]) break;
      idx[d] = 0;
    }
  }
  const float* x = in[0].data<float>();
  const float* scale = in[1].data<float>();
  const float* bias = has_b ? in[2].data<float>() : nullptr;
  float* y = out[0].data<float>();
  float* mean_out = out.size() > 1 && out[1].defined() ? out[1].data<float>() : nullptr;
  float* inv_out = out.size() > 2 && out[2].defined() ? out[2].data<float>() : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * len;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < len; ++j) mean += xr[j];
    mean /= static_cast<double>(len);
    for (int64_t j = 0; j < len; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var /= static_cast<double>(len);
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < len; ++j) {
      double v = (xr[j] - mean) * inv * scale[off_s[j]];
      if (bias) v += bias[off_b[j]];
      y[r * len + j] = static_cast<float>(v);
    }
    if (mean_out) mean_out[r] = static_cast<float>(mean);
    if (inv_out) inv_out[r] = static_cast<float>(inv);
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  auto rank = static_cast<int64_t>(x->shape.size());
  if (rank == 0) return error("input X '{}' is a scalar", x->name);
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", -1), rank));
  Shape norm(x->shape.begin() + axis, x->shape.end());
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const Value* p = node.inputs[i];
    if (p == nullptr) continue;
    INR_TRY(expect_dtype(p, {DType::kF32}, i == 1 ? "Scale" : "B"));
    Result<Shape> b = broadcast_shapes(p->shape, norm);
    if (!b || *b != norm || p->shape.size() > norm.size())
      return error("{} {} does not broadcast to the normalised dims {}", i == 1 ? "Scale" : "B",
                   shape_str(p->shape), shape_str(norm));
  }
  if (node.attr_int("stash_type", 1) != 1)
    return error("stash_type {} is not 1 (float)", node.attr_int("stash_type", 1));
  set_output(node, 0, DType::kF32, x->shape);
  Shape stat = x->shape;
  for (size_t d = static_cast<size_t>(axis); d < stat.size(); ++d) stat[d] = 1;
  for (size_t i = 1; i < 3 && i < node.outputs.size(); ++i) set_output(node, i, DType::kF32, stat);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_layer_normalization() {
  static const OpSchema s{Op::kLayerNormalization, 2, 3, 1, 3, infer, run};
  return s;
}

}  // namespace inr
