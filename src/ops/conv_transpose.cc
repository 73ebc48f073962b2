// ConvTranspose: the gradient of Conv with respect to its input (a "deconvolution"), 1-3 spatial dims.
// X [N, C, D...], W [C, M/group, k...], optional B [M]; y[n, g*M/group + m, i*stride + k*dilation - pad]
// += x[n, c, i] * w[c, m, k]. Output dims: stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads, or
// output_shape (then pads follow from it, SAME_UPPER putting the odd pad at the end, otherwise at the
// start, as the spec's formula); auto_pad SAME_* gives in*stride.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__ConvTranspose.html (opsets 1, 11). Accumulates in double.
#include <vector>

#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
struct Geometry {
  int64_t n = 0, c = 0, m = 0, group = 1;
  std::vector<int64_t> in, kernel, stride, dilation, pad_begin, out;
};

Result<Geometry> geometry(const Node& node, const Shape& x, const Shape& w) {
  if (x.size() < 3 || x.size() > 5)
    return error("input has rank {}, expected 3..5 (N, C, 1-3 spatial dims)", x.size());
  if (w.size() != x.size()) return error("weight has rank {}, input {}", w.size(), x.size());
  size_t r = x.size() - 2;
  Geometry g;
  g.n = x[0];
  g.c = x[1];
  g.group = node.attr_int("group", 1);
  if (g.group < 1 || g.c % g.group != 0 || w[0] != g.c)
    return error("weight {} does not fit {} input channels in {} groups", shape_str(w), g.c, g.group);
  g.m = w[1] * g.group;
  g.in.assign(x.begin() + 2, x.end());
  g.kernel.assign(w.begin() + 2, w.end());
  std::vector<int64_t> ks = node.attr_ints("kernel_shape", g.kernel);
  if (ks != g.kernel) return error("kernel_shape {} does not match weight {}", shape_str(ks), shape_str(w));
  g.stride = node.attr_ints("strides", std::vector<int64_t>(r, 1));
  g.dilation = node.attr_ints("dilations", std::vector<int64_t>(r, 1));
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * r, 0));
  std::vector<int64_t> out_pad = node.attr_ints("output_padding", std::vector<int64_t>(r, 0));
  std::vector<int64_t> out_shape = node.attr_ints("output_shape");
  if (g.stride.size() != r || g.dilation.size() != r || pads.size() != 2 * r || out_pad.size() != r)
    return error("strides/dilations/pads/output_padding lengths do not match {} spatial dims", r);
  if (!out_shape.empty() && out_shape.size() != r) {
    if (out_shape.size() == r + 2) {
      out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    } else {
      return error("output_shape {} does not have {} spatial dims", shape_str(out_shape), r);
    }
  }
  std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
    return error("auto_pad '{}' is not supported", auto_pad);
  g.pad_begin.assign(r, 0);
  g.out.assign(r, 0);
  for (size_t i = 0; i < r; ++i) {
    if (g.stride[i] < 1 || g.dilation[i] < 1) return error("strides and dilations must be >= 1");
    if (out_pad[i] < 0) return error("output_padding {} is negative", shape_str(out_pad));
    // Every term comes from an attribute or a shape: checked, so that a wrapped sum cannot become a small dim.
    const std::string what = fmt::format("output dim {}", i);
    INR_ASSIGN_OR_RETURN(int64_t grown, checked_mul(g.stride[i], g.in[i] - 1, what));
    INR_ASSIGN_OR_RETURN(int64_t reach, checked_mul(g.kernel[i] - 1, g.dilation[i], what));
    INR_ASSIGN_OR_RETURN(int64_t full, checked_add(grown, out_pad[i], what));
    INR_ASSIGN_OR_RETURN(full, checked_add(full, reach, what));
    INR_ASSIGN_OR_RETURN(full, checked_add(full, 1, what));
    bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!out_shape.empty() || same) {
      int64_t target = out_shape.empty() ? 0 : out_shape[i];
      if (out_shape.empty()) {
        INR_ASSIGN_OR_RETURN(target, checked_mul(g.in[i], g.stride[i], what));
      }
      if (target < 1) return error("output dim {} is {} (< 1)", i, target);
      // total may be negative (output_shape beyond the full size: extra rows at the end); the spec's
      // formula halves it with Python's floor division.
      INR_ASSIGN_OR_RETURN(int64_t total, checked_add(full, -target, what));
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      g.pad_begin[i] = auto_pad == "SAME_UPPER" ? half : total - half;
      g.out[i] = target;
    } else {
      int64_t pb = auto_pad == "VALID" ? 0 : pads[i], pe = auto_pad == "VALID" ? 0 : pads[i + r];
      g.pad_begin[i] = pb;
      if (pb < 0 || pe < 0) return error("negative pads are not supported");
      INR_ASSIGN_OR_RETURN(g.out[i], checked_add(full, -pb, what));
      INR_ASSIGN_OR_RETURN(g.out[i], checked_add(g.out[i], -pe, what));
    }
    if (g.out[i] < 1) return error("output dim {} is {} (< 1)", i, g.out[i]);
  }
  return g;
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(Geometry g, geometry(node, in[0].shape(), in[1].shape()));
  size_t r = g.in.size();
  int64_t in_sp = 1, out_sp = 1, k_sp = 1;
  for (size_t i = 0; i < r; ++i) {
    in_sp *= g.in[i];
    out_sp *= g.out[i];
    k_sp *= g.kernel[i];
  }
  int64_t cg = g.c / g.group, mg = g.m / g.group;
  const float* x = in[0].data<float>();
  const float* w = in[1].data<float>();
  const float* b = in.size() > 2 && in[2].defined() ? in[2].data<float>() : nullptr;
  std::vector<double> acc(static_cast<size_t>(g.n * g.m * out_sp), 0.0);
  // For every (input position, kernel position) pair, the output position or -1 when it falls outside.
  std::vector<int64_t> target(static_cast<size_t>(in_sp * k_sp));
  std::vector<int64_t> ii(r, 0), kk(r, 0);
  for (int64_t p = 0; p < in_sp; ++p) {
    std::fill(kk.begin(), kk.end(), 0);
    for (int64_t q = 0; q < k_sp; ++q) {
      int64_t at = 0;
      bool inside = true;
      for (size_t d = 0; d < r; ++d) {
        int64_t o = ii[d] * g.stride[d] + kk[d] * g.dilation[d] - g.pad_begin[d];
        inside = inside && o >= 0 && o < g.out[d];
        at = at * g.out[d] + o;
      }
      target[p * k_sp + q] = inside ? at : -1;
      for (size_t d = r; d-- > 0;) {
        if (++kk[d] < g.kernel[d]) break;
        kk[d] = 0;
      }
    }
    for (size_t d = r; d-- > 0;) {
      if (++ii[d] < g.in[d]) break;
      ii[d] = 0;
    }
  }
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t gi = 0; gi < g.group; ++gi)
      for (int64_t c = 0; c < cg; ++c) {
        int64_t ci = gi * cg + c;
        const float* xc = x + (n * g.c + ci) * in_sp;
        for (int64_t m = 0; m < mg; ++m) {
          const float* wk = w + (ci * mg + m) * k_sp;
          double* yc = acc.data() + (n * g.m + gi * mg + m) * out_sp;
          for (int64_t p = 0; p < in_sp; ++p) {
            double xv = xc[p];
            const int64_t* t = target.data() + p * k_sp;
            for (int64_t q = 0; q < k_sp; ++q)
              if (t[q] >= 0) yc[t[q]] += xv * wk[q];
          }
        }
      }
  float* y = out[0].data<float>();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t p = 0; p < out_sp; ++p) {
        int64_t at = (n * g.m + m) * out_sp + p;
        y[at] = static_cast<float>(acc[at] + (b ? b[m] : 0.f));
      }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  const Value* w = node.inputs[1];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  INR_TRY(expect_dtype(w, {DType::kF32}, "weight"));
  INR_ASSIGN_OR_RETURN(Geometry g, geometry(node, x->shape, w->shape));
  if (const Value* b = node.input(2)) {
    INR_TRY(expect_dtype(b, {DType::kF32}, "bias"));
    if (b->shape != Shape{g.m}) return error("bias has shape {}, expected [{}]", shape_str(b->shape), g.m);
  }
  Shape out{g.n, g.m};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output(node, 0, DType::kF32, std::move(out));
  return Status::ok();
}
}  // namespace

const OpSchema& schema_conv_transpose() {
  static const OpSchema s{Op::kConvTranspose, 2, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
