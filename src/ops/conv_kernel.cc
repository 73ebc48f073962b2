// Conv geometry, the im2col + blocked GEMM reference kernel, and FusedConv's activations.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Conv.html
#include "ops/conv_kernel.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/window3.h"

namespace inr {

namespace {
// GEMM blocking: kBlockRows output channels x kBlockCols output pixels of accumulators (8 KiB) stay in
// L1 while one row of the column matrix streams through.
constexpr int64_t kBlockRows = 8;
constexpr int64_t kBlockCols = 256;
}  // namespace

Result<ConvShape> conv_shape(const Node& node, const Shape& x, const Shape& w, const Shape* bias) {
  if (x.size() < 3 || x.size() > 2 + kMaxSpatialRank)
    return error("input X rank {}, expected 3..{} (N, C, 1-3 spatial dims)", x.size(), 2 + kMaxSpatialRank);
  if (w.size() != x.size()) return error("weight rank {}, expected {}", w.size(), x.size());
  ConvShape s;
  s.batch = x[0];
  s.in_channels = x[1];
  s.out_channels = w[0];
  s.group = node.attr_int("group", 1);
  if (s.group < 1) return error("group {} must be >= 1", s.group);
  if (s.in_channels % s.group != 0)
    return error("input channels {} not divisible by group {}", s.in_channels, s.group);
  if (w[1] * s.group != s.in_channels)
    return error("channels mismatch for group {}: input has {} channels, weight expects {} x {} = {}", s.group,
                 s.in_channels, w[1], s.group, w[1] * s.group);
  if (s.out_channels % s.group != 0)
    return error("output channels {} not divisible by group {}", s.out_channels, s.group);
  std::vector<int64_t> kernel(w.begin() + 2, w.end());
  if (node.has_attr("kernel_shape") && node.attr_ints("kernel_shape") != kernel)
    return error("kernel_shape {} does not match weight {}", shape_str(node.attr_ints("kernel_shape")), shape_str(w));
  if (bias != nullptr && (bias->size() != 1 || (*bias)[0] != s.out_channels))
    return error("bias shape {}, expected [{}]", shape_str(*bias), s.out_channels);
  INR_ASSIGN_OR_RETURN(s.geometry, window_geometry(node, x, kernel, /*ceil_mode=*/false));
  return s;
}

Result<ConvShape> infer_conv(Node& node) {
  const Value* x = node.inputs[0];
  const Value* w = node.inputs[1];
  const Value* b = node.input(2);
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  INR_TRY(expect_dtype(w, {DType::kF32}, "weight"));
  if (b) INR_TRY(expect_dtype(b, {DType::kF32}, "bias"));
  INR_ASSIGN_OR_RETURN(ConvShape s, conv_shape(node, x->shape, w->shape, b ? &b->shape : nullptr));
  Shape out{s.batch, s.out_channels};
  out.insert(out.end(), s.geometry.out.begin(), s.geometry.out.end());
  set_output(node, 0, DType::kF32, std::move(out));
  return s;
}

namespace {

// col[(c, kd, kh, kw), (od, oh, ow)] = x[c, od*s - p + kd*dil, ...] or 0 in the padding.
void im2col(const Window3& g, int64_t channels, const float* x, float* col) {
  int64_t out_plane = g.out[1] * g.out[2];
  int64_t out_size = g.out[0] * out_plane;
  int64_t in_plane = g.in[1] * g.in[2];
  int64_t in_size = g.in[0] * in_plane;
  float* dst = col;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * in_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, dst += out_size) {
          for (int64_t od = 0; od < g.out[0]; ++od) {
            int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
            float* row = dst + od * out_plane;
            if (id < 0 || id >= g.in[0]) {
              std::fill(row, row + out_plane, 0.f);
              continue;
            }
            for (int64_t oh = 0; oh < g.out[1]; ++oh) {
              int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
              float* r = row + oh * g.out[2];
              if (ih < 0 || ih >= g.in[1]) {
                std::fill(r, r + g.out[2], 0.f);
                continue;
              }
              const float* src = xc + id * in_plane + ih * g.in[2];
              for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                int64_t iw = ow * g.stride[2] - g.pad[2] + kw * g.dilation[2];
                r[ow] = iw < 0 || iw >= g.in[2] ? 0.f : src[iw];
              }
            }
          }
        }
  }
}

bool is_pointwise(const Window3& g) {
  for (size_t d = 0; d < kMaxSpatialRank; ++d)
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad[d] != 0 || g.out[d] != g.in[d]) return false;
  return true;
}

// y[m, p] = sum_k w[m, k] * col[k, p] (+ bias[m]) for m < rows, p < cols; float accumulation, k ascending.
void gemm_rows(int64_t rows, int64_t depth, int64_t cols, const float* w, const float* col, const float* bias,
               float* y) {
  int64_t row_blocks = (rows + kBlockRows - 1) / kBlockRows;
#pragma omp parallel for schedule(static)
  for (int64_t rb = 0; rb < row_blocks; ++rb) {
    int64_t m0 = rb * kBlockRows, m1 = std::min(rows, m0 + kBlockRows);
    float acc[kBlockRows][kBlockCols];
    for (int64_t p0 = 0; p0 < cols; p0 += kBlockCols) {
      int64_t np = std::min(kBlockCols, cols - p0);
      for (int64_t m = m0; m < m1; ++m) std::fill(acc[m - m0], acc[m - m0] + np, 0.f);
      for (int64_t k = 0; k < depth; ++k) {
        const float* c = col + k * cols + p0;
        for (int64_t m = m0; m < m1; ++m) {
          float a = w[m * depth + k];
          float* out = acc[m - m0];
          for (int64_t j = 0; j < np; ++j) out[j] += a * c[j];
        }
      }
      for (int64_t m = m0; m < m1; ++m) {
        float b = bias ? bias[m] : 0.f;
        float* dst = y + m * cols + p0;
        for (int64_t j = 0; j < np; ++j) dst[j] = acc[m - m0][j] + b;
      }
    }
  }
}

}  // namespace

void conv_f32(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  Window3 g = to_window3(s.geometry);
  int64_t in_size = g.in[0] * g.in[1] * g.in[2];
  int64_t out_size = g.out[0] * g.out[1] * g.out[2];
  int64_t kernel_size = g.kernel[0] * g.kernel[1] * g.kernel[2];
  int64_t cg = s.in_channels / s.group;   // input channels per group
  int64_t mg = s.out_channels / s.group;  // output channels per group
  int64_t depth = cg * kernel_size;
  bool pointwise = is_pointwise(g);
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(depth * out_size));
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t grp = 0; grp < s.group; ++grp) {
      const float* xg = x + (n * s.in_channels + grp * cg) * in_size;
      const float* colp = xg;
      if (!pointwise) {
        im2col(g, cg, xg, col.data());
        colp = col.data();
      }
      gemm_rows(mg, depth, out_size, w + grp * mg * depth, colp, bias ? bias + grp * mg : nullptr,
                y + (n * s.out_channels + grp * mg) * out_size);
    }
  }
}

Result<ConvEpilogue> conv_epilogue(const Node& node) {
  ConvEpilogue e;
  std::string act = node.attr_string("activation", "");
  std::vector<float> p = node.attr_floats("activation_params");
  struct Known {
    const char* name;
    ConvActivation kind;
    size_t params;
  };
  static constexpr Known kKnown[] = {
      {"", ConvActivation::kNone, 0},           {"Relu", ConvActivation::kRelu, 0},
      {"Clip", ConvActivation::kClip, 2},       {"LeakyRelu", ConvActivation::kLeakyRelu, 1},
      {"HardSigmoid", ConvActivation::kHardSigmoid, 2}, {"HardSwish", ConvActivation::kHardSwish, 0},
      {"Sigmoid", ConvActivation::kSigmoid, 0},
  };
  for (const Known& k : kKnown) {
    if (act != k.name) continue;
    if (p.size() != k.params)
      return error("activation '{}' takes {} activation_params, got {}", act, k.params, p.size());
    e.activation = k.kind;
    if (k.params > 0) e.alpha = p[0];
    if (k.params > 1) e.beta = p[1];
    return e;
  }
  return error("unsupported activation '{}' (expected Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid)", act);
}

float apply_conv_activation(const ConvEpilogue& e, float v) {
  constexpr float kHardSwishAlpha = 1.f / 6.f, kHardSwishBeta = 0.5f;  // HardSwish's fixed HardSigmoid
  switch (e.activation) {
    case ConvActivation::kNone: return v;
    case ConvActivation::kRelu: return std::max(v, 0.f);
    case ConvActivation::kClip: return std::min(std::max(v, e.alpha), e.beta);
    case ConvActivation::kLeakyRelu: return v >= 0.f ? v : e.alpha * v;
    case ConvActivation::kHardSigmoid: return std::max(0.f, std::min(1.f, e.alpha * v + e.beta));
    case ConvActivation::kHardSwish: return v * std::max(0.f, std::min(1.f, kHardSwishAlpha * v + kHardSwishBeta));
    case ConvActivation::kSigmoid: {
      double x = v;
      if (x >= 0) return static_cast<float>(1.0 / (1.0 + std::exp(-x)));
      double ex = std::exp(x);
      return static_cast<float>(ex / (1.0 + ex));
    }
  }
  return v;
}

}  // namespace inr
