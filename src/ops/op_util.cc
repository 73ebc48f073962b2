#include "ops/op_util.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <cstring>

#include "core/half.h"
#include "core/tensor_size.h"
#include "ops/elementwise.h"

namespace inr {

void set_output(Node& node, size_t i, DType dtype, Shape shape) {
  Value* v = node.outputs[i];
  if (v == nullptr) return;
  v->dtype = dtype;
  v->shape = std::move(shape);
  v->has_shape = true;
}

Status expect_dtype(const Value* v, std::initializer_list<DType> allowed, std::string_view what) {
  for (DType t : allowed)
    if (v->dtype == t) return Status::ok();
  std::string names;
  for (DType t : allowed) names += (names.empty() ? "" : "|") + std::string(dtype_name(t));
  return error("{} '{}' has dtype {}, expected {}", what, v->name, dtype_name(v->dtype), names);
}

Status expect_rank(const Value* v, int64_t rank, std::string_view what) {
  if (static_cast<int64_t>(v->shape.size()) != rank)
    return error("{} '{}' has rank {}, expected {}", what, v->name, v->shape.size(), rank);
  return Status::ok();
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) return error("axis {} out of range for rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

Result<int64_t> existing_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return rank == 0 ? error("axis {} given for a scalar input (it has no axes)", axis)
                     : error("axis {} out of range for rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> constant_ints(const Value* v, std::string_view what) {
  if (v == nullptr || !v->is_constant())
    return error("{} must be a constant (computed from shapes or initializers)", what);
  const Tensor& t = v->constant;
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::kI64) {
    std::copy(t.data<int64_t>(), t.data<int64_t>() + t.numel(), out.begin());
  } else if (t.dtype() == DType::kI32) {
    std::copy(t.data<int32_t>(), t.data<int32_t>() + t.numel(), out.begin());
  } else {
    return error("{} '{}' has dtype {}, expected i64", what, v->name, dtype_name(t.dtype()));
  }
  return out;
}

Result<std::vector<float>> constant_floats(const Value* v, std::string_view what) {
  if (v == nullptr || !v->is_constant()) return error("{} must be a constant", what);
  const Tensor& t = v->constant;
  std::vector<float> out(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (t.dtype()) {
      case DType::kF32: out[i] = t.data<float>()[i]; break;
      case DType::kF64: out[i] = static_cast<float>(t.data<double>()[i]); break;
      case DType::kF16: out[i] = f16_to_f32(t.data<uint16_t>()[i]); break;
      default: return error("{} '{}' has dtype {}, expected a float type", what, v->name, dtype_name(t.dtype()));
    }
  }
  return out;
}

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      return error("shapes {} and {} do not broadcast", shape_str(a), shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& shape, size_t out_rank) {
  std::vector<int64_t> strides(out_rank, 0);
  int64_t s = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    size_t i = shape.size() - 1 - k;
    size_t o = out_rank - 1 - k;
    strides[o] = shape[i] == 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

void for_each_broadcast(const Shape& out, const Shape& a, const Shape& b,
                        const std::function<void(int64_t, int64_t, int64_t)>& f) {
  size_t r = out.size();
  int64_t n = shape_numel(out);
  if (a == out && b == out) {
    for (int64_t i = 0; i < n; ++i) f(i, i, i);
    return;
  }
  std::vector<int64_t> sa = broadcast_strides(a, r), sb = broadcast_strides(b, r);
  std::vector<int64_t> idx(r, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, ia, ib);
    for (size_t d = r; d-- > 0;) {  // odometer increment
      ++idx[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

Result<WindowGeometry> window_geometry(const Node& node, const Shape& x, const std::vector<int64_t>& kernel,
                                       bool ceil_mode) {
  WindowGeometry g;
  size_t r = kernel.size();
  if (x.size() != r + 2) return error("input rank {} does not match a {}-d kernel", x.size(), r);
  g.in.assign(x.begin() + 2, x.end());
  g.kernel = kernel;
  g.stride = node.attr_ints("strides", std::vector<int64_t>(r, 1));
  g.dilation = node.attr_ints("dilations", std::vector<int64_t>(r, 1));
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * r, 0));
  if (g.stride.size() != r || g.dilation.size() != r || pads.size() != 2 * r)
    return error("strides/dilations/pads lengths do not match {} spatial dims", r);
  for (size_t i = 0; i < r; ++i) {
    if (g.stride[i] < 1 || g.dilation[i] < 1 || g.kernel[i] < 1)
      return error("kernel, strides and dilations must be >= 1");
    if (pads[i] < 0 || pads[i + r] < 0) return error("negative pads are not supported");
  }
  std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  g.pad_begin.assign(r, 0);
  g.pad_end.assign(r, 0);
  g.out.assign(r, 0);
  for (size_t i = 0; i < r; ++i) {
    // Strides, dilations and pads are attributes: every step is checked, so that a hostile 2^62 cannot wrap
    // into a small, plausible output size.
    const std::string what = fmt::format("the window of spatial dim {}", i);
    INR_ASSIGN_OR_RETURN(int64_t span, checked_mul(g.kernel[i] - 1, g.dilation[i], what));
    INR_ASSIGN_OR_RETURN(span, checked_add(span, 1, what));
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      INR_ASSIGN_OR_RETURN(int64_t in_up, checked_add(g.in[i], g.stride[i] - 1, what));
      g.out[i] = in_up / g.stride[i];
      // (out - 1) * stride <= in - 1: no overflow; + span is checked.
      INR_ASSIGN_OR_RETURN(int64_t reach, checked_add((g.out[i] - 1) * g.stride[i], span, what));
      int64_t total = std::max<int64_t>(0, reach - g.in[i]);
      int64_t small = total / 2, big = total - small;
      g.pad_begin[i] = auto_pad == "SAME_UPPER" ? small : big;
      g.pad_end[i] = total - g.pad_begin[i];
    } else if (auto_pad == "VALID") {
      // A window wider than the input gives no output (C++ division truncates -1 / 2 to 0, hence the test).
      g.out[i] = g.in[i] < span ? 0 : (g.in[i] - span) / g.stride[i] + 1;
    } else if (auto_pad == "NOTSET" || auto_pad.empty()) {
      g.pad_begin[i] = pads[i];
      g.pad_end[i] = pads[i + r];
      INR_ASSIGN_OR_RETURN(int64_t padded, checked_add(g.in[i], g.pad_begin[i], what));
      INR_ASSIGN_OR_RETURN(padded, checked_add(padded, g.pad_end[i], what));
      int64_t avail = padded - span;
      if (avail < 0) {
        g.out[i] = 0;
      } else if (ceil_mode) {
        INR_ASSIGN_OR_RETURN(int64_t up, checked_add(avail, g.stride[i] - 1, what));
        g.out[i] = up / g.stride[i] + 1;
        // The last window must start inside the input or its begin padding (ONNX / PyTorch rule).
        // (out - 1) * stride <= avail + stride - 1: fits.
        if ((g.out[i] - 1) * g.stride[i] >= g.in[i] + g.pad_begin[i]) --g.out[i];
      } else {
        g.out[i] = avail / g.stride[i] + 1;
      }
    } else {
      return error("unknown auto_pad '{}'", auto_pad);
    }
    if (g.out[i] < 1) return error("output spatial size {} < 1 (input {}, kernel {})", g.out[i], g.in[i], g.kernel[i]);
  }
  return g;
}

}  // namespace inr

namespace inr {
Status infer_unary_float(Node& node) {
  INR_TRY(expect_dtype(node.inputs[0], {DType::kF32}, "input X"));
  set_output(node, 0, node.inputs[0]->dtype, node.inputs[0]->shape);
  return Status::ok();
}
}  // namespace inr

namespace inr {

int64_t node_opset(const Node& node) { return node.attr_int("_opset", kDefaultOpset); }

bool legacy_broadcast_pending(const Node& node) {
  constexpr int64_t kOpsetNumpyBroadcast = 7;
  static constexpr std::array<std::string_view, 11> kOps = {"Add", "Sub", "Mul",     "Div",     "Pow", "And",
                                                            "Or",  "Xor", "Equal", "Greater", "Less"};
  return node.domain.empty() && node_opset(node) < kOpsetNumpyBroadcast &&
         (node.has_attr("broadcast") || node.has_attr("axis")) &&
         std::find(kOps.begin(), kOps.end(), node.op_type) != kOps.end();
}

Status fold_int_constants(Node& node, RunFn run) {
  std::vector<Tensor> inputs;
  for (const Value* in : node.inputs) {
    if (in == nullptr) {
      inputs.emplace_back();
      continue;
    }
    if (!in->is_constant()) return Status::ok();
    inputs.push_back(in->constant);
  }
  std::vector<Tensor> outputs;
  for (const Value* out : node.outputs) {
    if (out == nullptr) {
      outputs.emplace_back();
      continue;
    }
    bool is_int = out->dtype == DType::kI64 || out->dtype == DType::kI32 || out->dtype == DType::kBool;
    if (!is_int || shape_numel(out->shape) > kMaxInferFoldElements) return Status::ok();
    outputs.push_back(Tensor::empty(out->dtype, out->shape));
  }
  INR_TRY(run(node, inputs, outputs));
  for (size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i]) node.outputs[i]->constant = outputs[i];
  return Status::ok();
}

Status expect_scalar(const Value* v, std::string_view what) {
  if (v->shape.size() > 1 || shape_numel(v->shape) != 1)
    return error("{} '{}' has shape {}, expected a scalar", what, v->name, shape_str(v->shape));
  return Status::ok();
}

int64_t dims_product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < s.size(); ++i) p *= s[i];
  return p;
}

}  // namespace inr

namespace inr {
Status expect_byte_dtype(const Value* v, std::string_view what) {
  if (v->dtype == DType::kUndefined || dtype_size(v->dtype) == 0)
    return error("{} '{}' has dtype {}, which is not supported here", what, v->name, dtype_name(v->dtype));
  return Status::ok();
}

Result<std::vector<int64_t>> axes_from_input_or_attr(const Node& node, size_t input_index, int64_t opset_input) {
  if (node_opset(node) < opset_input) {
    if (node.input(input_index) != nullptr)
      return error("opset {} takes axes as an attribute, not input {}", node_opset(node), input_index);
    return node.attr_ints("axes");
  }
  if (node.has_attr("axes")) return error("opset {} takes axes as input {}, not an attribute", node_opset(node), input_index);
  const Value* v = node.input(input_index);
  if (v == nullptr) return std::vector<int64_t>{};
  return constant_ints(v, "axes");
}
}  // namespace inr

namespace inr {
Status copy_input0(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  if (in[0].bytes() > 0) std::memcpy(out[0].raw(), in[0].raw(), in[0].bytes());
  return Status::ok();
}
}  // namespace inr

namespace inr {
std::vector<double> elements_as_double(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  (void)visit_numeric(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(p[i]);
  });
  return v;
}
}  // namespace inr
