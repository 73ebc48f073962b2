// Shared arithmetic of the quantized ops: parameter reading, requantisation, the int16 x int16 -> int32
// GEMM and the integer convolution. See quant_util.h for the exactness contract.
#include "ops/quant_util.h"

#include <cmath>

#include "core/cpu_tier.h"

#include <cstring>

#include "core/half.h"
#include "ops/window3.h"

namespace inr {

QRange qrange(DType t) {
  switch (t) {
    case DType::kU8: return {0, 255};
    case DType::kI8: return {-128, 127};
    case DType::kU4: return {0, 15};
    case DType::kI4: return {-8, 7};
    case DType::kU16: return {0, 65535};
    case DType::kI16: return {-32768, 32767};
    default: return {INT32_MIN, INT32_MAX};
  }
}

bool is_q8(DType t) { return t == DType::kU8 || t == DType::kI8; }

int32_t load_qint(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kU8: return t.data<uint8_t>()[i];
    case DType::kI8: return t.data<int8_t>()[i];
    case DType::kU16: return t.data<uint16_t>()[i];
    case DType::kI16: return t.data<int16_t>()[i];
    case DType::kI32: return t.data<int32_t>()[i];
    case DType::kU4: return (t.data<uint8_t>()[i / 2] >> (4 * (i % 2))) & 0xf;
    case DType::kI4: {
      int32_t nib = (t.data<uint8_t>()[i / 2] >> (4 * (i % 2))) & 0xf;
      return nib >= 8 ? nib - 16 : nib;
    }
    default: return 0;
  }
}

void store_qint(Tensor& t, int64_t i, int32_t v) {
  switch (t.dtype()) {
    case DType::kU8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case DType::kI8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
    case DType::kU16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v); break;
    case DType::kI16: t.data<int16_t>()[i] = static_cast<int16_t>(v); break;
    case DType::kI32: t.data<int32_t>()[i] = v; break;
    case DType::kU4:
    case DType::kI4: {
      uint8_t& byte = t.data<uint8_t>()[i / 2];
      int shift = 4 * static_cast<int>(i % 2);
      byte = static_cast<uint8_t>((byte & ~(0xf << shift)) | ((static_cast<uint32_t>(v) & 0xf) << shift));
      break;
    }
    default: break;
  }
}

Status check_constant_scales(const Graph& g) {
  for (const auto& n : g.nodes()) {
    std::vector<size_t> scales;  // input positions holding a scale
    switch (n->op) {
      case Op::kQuantizeLinear:
      case Op::kDequantizeLinear: scales = {1}; break;
      case Op::kQLinearConv:
      case Op::kQLinearMatMul:
      case Op::kQLinearAdd:
      case Op::kQLinearMul: scales = {1, 4, 6}; break;
      case Op::kQLinearGlobalAveragePool: scales = {1, 3}; break;
      case Op::kQGemm: scales = {1, 4, 7}; break;
      case Op::kQLinearConcat:  // Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input
        scales.push_back(0);
        for (size_t i = 3; i < n->inputs.size(); i += 3) scales.push_back(i);
        break;
      default: continue;
    }
    for (size_t i : scales) {
      const Value* v = n->input(i);
      if (v == nullptr || !v->is_constant()) continue;
      const Tensor& t = v->constant;
      if (t.dtype() != DType::kF32 && t.dtype() != DType::kF16 && t.dtype() != DType::kBF16 && t.dtype() != DType::kF64)
        continue;  // the op's own checks report a wrong dtype
      for (int64_t k = 0; k < t.numel(); ++k) {
        const float s = load_scale(t, k);
        if (!(std::isfinite(s) && s > 0.f))
          return error("node '{}' ({}): scale '{}'{} is {}; a quantization scale must be finite and > 0",
                       n->name.empty() ? "(unnamed)" : n->name, n->op_type, v->name,
                       t.numel() > 1 ? fmt::format(" [{}]", k) : "", s);
      }
    }
  }
  return Status::ok();
}

Status check_batch_norm_variance(const Graph& g) {
  for (const auto& n : g.nodes()) {
    if (n->op != Op::kBatchNormalization) continue;
    const Value* v = n->input(4);
    if (v == nullptr || !v->is_constant() || v->constant.dtype() != DType::kF32) continue;
    const double eps = n->attr_float("epsilon", 1e-5f);  // ONNX's default
    const float* var = v->constant.data<float>();
    for (int64_t c = 0; c < v->constant.numel(); ++c)
      if (!(std::isfinite(var[c]) && static_cast<double>(var[c]) + eps > 0.0))
        return error("node '{}' (BatchNormalization): input_var '{}' [{}] is {}; var + epsilon must be finite and > 0",
                     n->name.empty() ? "(unnamed)" : n->name, v->name, c, var[c]);
  }
  return Status::ok();
}

Status check_constant_inputs(const Graph& g) {
  INR_TRY(check_constant_scales(g));
  return check_batch_norm_variance(g);
}

float load_scale(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kF16: return f16_to_f32(t.data<uint16_t>()[i]);
    case DType::kBF16: return bf16_to_f32(t.data<uint16_t>()[i]);
    case DType::kF64: return static_cast<float>(t.data<double>()[i]);
    default: return t.data<float>()[i];
  }
}

std::vector<int32_t> read_zero_points(const Tensor& zero_point) {
  if (!zero_point.defined()) return {0};
  std::vector<int32_t> v(static_cast<size_t>(zero_point.numel()));
  for (int64_t i = 0; i < zero_point.numel(); ++i) v[static_cast<size_t>(i)] = load_qint(zero_point, i);
  if (v.empty()) v.push_back(0);
  return v;
}

QParams read_qparams(const Tensor& scale, const Tensor& zero_point) {
  QParams p;
  p.scale.resize(static_cast<size_t>(scale.numel()));
  for (int64_t i = 0; i < scale.numel(); ++i) p.scale[static_cast<size_t>(i)] = load_scale(scale, i);
  p.zero_point = read_zero_points(zero_point);
  return p;
}

Result<QParamLayout> qparam_layout(const Node& node, const Shape& x, const Shape& scale) {
  QParamLayout l;
  int64_t n = shape_numel(scale);
  int64_t block = node.attr_int("block_size", 0);
  if (block < 0) return error("block_size {} must be >= 0", block);
  if (scale.size() <= 1 && n == 1 && block == 0) return l;
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", 1), static_cast<int64_t>(x.size())));
  l.per_tensor = false;
  l.dim = x[static_cast<size_t>(axis)];
  l.inner = dims_product(x, static_cast<size_t>(axis) + 1, x.size());
  if (block == 0) {
    if (scale.size() != 1 || scale[0] != l.dim)
      return error("scale shape {} must be a scalar or [{}] (x {} along axis {})", shape_str(scale), l.dim, shape_str(x), axis);
    return l;
  }
  l.block = block;
  l.blocks = (l.dim + block - 1) / block;
  Shape want = x;
  want[static_cast<size_t>(axis)] = l.blocks;
  if (scale != want)
    return error("blocked scale shape {} must be {} (x {}, axis {}, block_size {})", shape_str(scale), shape_str(want),
                 shape_str(x), axis, block);
  return l;
}

Status expect_qparam_shape(const Value* v, int64_t channels, std::string_view what) {
  if (v == nullptr) return Status::ok();
  int64_t n = shape_numel(v->shape);
  if (v->shape.size() <= 1 && n == 1) return Status::ok();
  if (channels > 0 && v->shape.size() == 1 && n == channels) return Status::ok();
  if (channels > 0)
    return error("{} '{}' has shape {}, expected a scalar or [{}]", what, v->name, shape_str(v->shape), channels);
  return error("{} '{}' has shape {}, expected a scalar", what, v->name, shape_str(v->shape));
}

Status expect_scale_dtype(const Value* v, std::string_view what) {
  return expect_dtype(v, {DType::kF32, DType::kF16, DType::kBF16}, what);
}

Status expect_zp_dtype(const Value* zp, DType t, std::string_view what) {
  if (zp == nullptr || zp->dtype == t) return Status::ok();
  return error("{} '{}' has dtype {}, expected {} (the dtype of its operand)", what, zp->name, dtype_name(zp->dtype),
               dtype_name(t));
}

void requantize_row(const int32_t* acc, int64_t n, float scale, int32_t zp, QRange r, DType out_dtype, void* out,
                    int64_t out_offset) {
  if (out_dtype == DType::kU8) {
    uint8_t* y = static_cast<uint8_t*>(out) + out_offset;
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<uint8_t>(quantize_value(static_cast<float>(acc[i]) * scale, zp, r));
  } else {
    int8_t* y = static_cast<int8_t*>(out) + out_offset;
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int8_t>(quantize_value(static_cast<float>(acc[i]) * scale, zp, r));
  }
}

// --- GEMM ----------------------------------------------------------------------------------------------

namespace {
// Register block: kRows x kCols dot products share their operand rows; the k loop is a set of
// independent int32 reductions that GCC vectorises (pmaddwd on SSE2, vpmaddwd with AVX2).
constexpr int64_t kRows = 4;
constexpr int64_t kCols = 2;
// Columns of b per cache block: a block of b rows (kBlockBytes) stays in L1/L2 while all of a streams by.
constexpr int64_t kBlockBytes = 48 * 1024;

template <int R, int C>
inline void dot_block(int64_t k, const int16_t* const* a, const int16_t* const* b, int32_t out[R][C]) {
  int32_t acc[R][C] = {};
  for (int64_t i = 0; i < k; ++i)
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) acc[r][c] += static_cast<int32_t>(a[r][i]) * static_cast<int32_t>(b[c][i]);
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) out[r][c] = acc[r][c];
}

inline int32_t dot1(int64_t k, const int16_t* a, const int16_t* b) {
  int32_t acc = 0;
  for (int64_t i = 0; i < k; ++i) acc += static_cast<int32_t>(a[i]) * static_cast<int32_t>(b[i]);
  return acc;
}
}  // namespace

void gemm_s16_nt(int64_t m, int64_t n, int64_t k, const int16_t* a, const int16_t* b, int32_t* c, bool accumulate) {
  int64_t block = std::max<int64_t>(kCols, kBlockBytes / std::max<int64_t>(1, k * 2) / kCols * kCols);
  int64_t blocks = (n + block - 1) / block;
#pragma omp parallel for schedule(static) if (m * n * k > (int64_t{1} << 18))
  for (int64_t blk = 0; blk < blocks; ++blk) {
    int64_t n0 = blk * block, n1 = std::min(n, n0 + block);
    int64_t i = 0;
    for (; i + kRows <= m; i += kRows) {
      const int16_t* ar[kRows];
      for (int r = 0; r < kRows; ++r) ar[r] = a + (i + r) * k;
      int64_t j = n0;
      for (; j + kCols <= n1; j += kCols) {
        const int16_t* bc[kCols];
        for (int q = 0; q < kCols; ++q) bc[q] = b + (j + q) * k;
        int32_t out[kRows][kCols];
        dot_block<kRows, kCols>(k, ar, bc, out);
        for (int r = 0; r < kRows; ++r)
          for (int q = 0; q < kCols; ++q) {
            int32_t& dst = c[(i + r) * n + j + q];
            dst = accumulate ? dst + out[r][q] : out[r][q];
          }
      }
      for (; j < n1; ++j)
        for (int r = 0; r < kRows; ++r) {
          int32_t v = dot1(k, ar[r], b + j * k);
          int32_t& dst = c[(i + r) * n + j];
          dst = accumulate ? dst + v : v;
        }
    }
    for (; i < m; ++i)
      for (int64_t j = n0; j < n1; ++j) {
        int32_t v = dot1(k, a + i * k, b + j * k);
        int32_t& dst = c[i * n + j];
        dst = accumulate ? dst + v : v;
      }
  }
}

void to_s16_minus_zp(const Tensor& t, int64_t offset, int64_t count, int32_t zp, int16_t* dst) {
  if (t.dtype() == DType::kU8) {
    const uint8_t* s = t.data<uint8_t>() + offset;
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<int16_t>(s[i] - zp);
  } else {
    const int8_t* s = t.data<int8_t>() + offset;
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<int16_t>(s[i] - zp);
  }
}

// --- Convolution ---------------------------------------------------------------------------------------
//
// Layout. The convolution is a GEMM y[m, p] = sum_k w[m, k] * col[k, p] (col: im2col of x - x_zp, or x itself
// for a pointwise conv). Operands are int16 (u8/s8 minus a zero point fits), and each int32 lane of the
// micro-kernel accumulates two products at once: w and col are packed as pairs of consecutive k
// (w2[m][k/2] = {w[m,k], w[m,k+1]}, rhs[k/2][p] = {col[k,p], col[k+1,p]}), the form compilers turn into
// pmaddwd. The micro-kernel is compiled twice (AVX2 and baseline x86-64) and picked by the process's CPU tier
// (core/cpu_tier.h, so INR_MAX_ISA=baseline runs the baseline one); integer arithmetic makes both identical.

namespace {

// Below this many multiply-adds a convolution runs on the calling thread: waking the OpenMP team costs more.
constexpr int64_t kParallelMacs = int64_t{1} << 18;
constexpr int64_t kTileRows = 4;   // output channels per micro-kernel call
constexpr int64_t kTileCols = 32;  // output pixels per packed panel

// tile[r][j] = sum over k pairs of w2[r][kp] . panel[kp * ld + j] (two int16 products per int32 lane).
[[gnu::always_inline]] inline void conv_tile_body(int64_t k_pairs, const int32_t* w2, const int32_t* panel, int64_t ld,
                                                  int32_t tile[kTileRows][kTileCols]) {
  int32_t acc[kTileRows][kTileCols] = {};
  for (int64_t kp = 0; kp < k_pairs; ++kp) {
    const int16_t* b = reinterpret_cast<const int16_t*>(panel + kp * ld);
    for (int64_t r = 0; r < kTileRows; ++r) {
      const int16_t* a = reinterpret_cast<const int16_t*>(w2 + r * k_pairs + kp);
      int32_t a0 = a[0], a1 = a[1];
      for (int64_t j = 0; j < kTileCols; ++j) acc[r][j] += a0 * b[2 * j] + a1 * b[2 * j + 1];
    }
  }
  for (int64_t r = 0; r < kTileRows; ++r)
    for (int64_t j = 0; j < kTileCols; ++j) tile[r][j] = acc[r][j];
}

[[gnu::target("avx2")]] void conv_tile_avx2(int64_t k_pairs, const int32_t* w2, const int32_t* panel, int64_t ld,
                                            int32_t tile[kTileRows][kTileCols]) {
  conv_tile_body(k_pairs, w2, panel, ld, tile);
}
void conv_tile_baseline(int64_t k_pairs, const int32_t* w2, const int32_t* panel, int64_t ld,
                        int32_t tile[kTileRows][kTileCols]) {
  conv_tile_body(k_pairs, w2, panel, ld, tile);
}
void conv_tile(int64_t k_pairs, const int32_t* w2, const int32_t* panel, int64_t ld, int32_t tile[kTileRows][kTileCols]) {
  static const bool avx2 = tier_has_avx2(cpu_tier());
  if (avx2)
    conv_tile_avx2(k_pairs, w2, panel, ld, tile);
  else
    conv_tile_baseline(k_pairs, w2, panel, ld, tile);
}

// col[(c, kd, kh, kw), p] = x[c, window position of output p] or 0 in the padding (x already minus x_zp).
void im2col_s16(const Window3& g, int64_t channels, const int16_t* x, int16_t* col) {
  int64_t out_plane = g.out[1] * g.out[2], out_size = g.out[0] * out_plane;
  int64_t in_plane = g.in[1] * g.in[2], in_size = g.in[0] * in_plane;
  int16_t* dst = col;
  for (int64_t c = 0; c < channels; ++c) {
    const int16_t* xc = x + c * in_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, dst += out_size)
          for (int64_t od = 0; od < g.out[0]; ++od) {
            int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
            for (int64_t oh = 0; oh < g.out[1]; ++oh) {
              int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
              int16_t* r = dst + od * out_plane + oh * g.out[2];
              if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
                std::fill(r, r + g.out[2], int16_t{0});
                continue;
              }
              const int16_t* src = xc + id * in_plane + ih * g.in[2];
              for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                int64_t iw = ow * g.stride[2] - g.pad[2] + kw * g.dilation[2];
                r[ow] = iw < 0 || iw >= g.in[2] ? int16_t{0} : src[iw];
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

// First and one-past-last output index o with 0 <= o * stride + offset < in.
inline void valid_range(int64_t out, int64_t stride, int64_t offset, int64_t in, int64_t* lo, int64_t* hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  *hi = offset >= in ? 0 : std::min(out, (in - offset + stride - 1) / stride);
  if (*hi < *lo) *hi = *lo;
}

// acc[i] += w * in[i]: a widening int16 x int16 -> int32 multiply-add (pmullw/pmulhw on SSE2).
[[gnu::target("avx2")]] void mac_row_avx2(int32_t* acc, const int16_t* in, int16_t w, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<int32_t>(w) * static_cast<int32_t>(in[i]);
}
void mac_row_baseline(int32_t* acc, const int16_t* in, int16_t w, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<int32_t>(w) * static_cast<int32_t>(in[i]);
}
void mac_row(int32_t* acc, const int16_t* in, int16_t w, int64_t n) {
  static const bool avx2 = tier_has_avx2(cpu_tier());
  if (avx2)
    mac_row_avx2(acc, in, w, n);
  else
    mac_row_baseline(acc, in, w, n);
}

// One channel of a depthwise convolution (one input and one output channel per group). Per output row, the
// taps accumulate into an L1-resident row of int32 over contiguous input: strided convolutions first split
// each input row into `stride` phases (phase r holds elements r, r + stride, ...), so tap kw of output ow
// reads phase[(kw * dilation - pad) mod stride] at a fixed offset from ow, and the inner loops vectorise.
void depthwise_channel(const Window3& g, const int16_t* x, const int16_t* w, int32_t bias, int32_t* y,
                       std::vector<int16_t>& phases, std::vector<int32_t>& row) {
  int64_t in_plane = g.in[1] * g.in[2];
  int64_t sw = g.stride[2];
  int64_t phase_len = (g.in[2] + sw - 1) / sw + 1;
  phases.resize(static_cast<size_t>(sw * phase_len));
  row.resize(static_cast<size_t>(g.out[2]));
  // Per kw: valid output range and where its inputs start within the phase arrays.
  int64_t kwn = g.kernel[2];
  std::vector<int64_t> ow0(kwn), ow1(kwn), phase_of(kwn), shift(kwn);
  for (int64_t kw = 0; kw < kwn; ++kw) {
    int64_t o = kw * g.dilation[2] - g.pad[2];
    valid_range(g.out[2], sw, o, g.in[2], &ow0[kw], &ow1[kw]);
    int64_t r = ((o % sw) + sw) % sw;
    phase_of[kw] = r;
    shift[kw] = (o - r) / sw;  // input ow * sw + o = (ow + shift) * sw + r
  }
  for (int64_t od = 0; od < g.out[0]; ++od)
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      std::fill(row.begin(), row.end(), bias);
      for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
        int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
        if (id < 0 || id >= g.in[0]) continue;
        for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
          int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
          if (ih < 0 || ih >= g.in[1]) continue;
          const int16_t* src = x + id * in_plane + ih * g.in[2];
          if (sw > 1) {
            for (int64_t r = 0; r < sw; ++r) {
              int16_t* ph = phases.data() + r * phase_len;
              for (int64_t i = r, j = 0; i < g.in[2]; i += sw, ++j) ph[j] = src[i];
            }
          }
          const int16_t* wk = w + (kd * g.kernel[1] + kh) * kwn;
          for (int64_t kw = 0; kw < kwn; ++kw) {
            const int16_t* in = sw > 1 ? phases.data() + phase_of[kw] * phase_len + shift[kw] : src + kw * g.dilation[2] - g.pad[2];
            mac_row(row.data() + ow0[kw], in + ow0[kw], wk[kw], ow1[kw] - ow0[kw]);
          }
        }
      }
      std::copy(row.begin(), row.end(), y + (od * g.out[1] + oh) * g.out[2]);
    }
}

}  // namespace

void conv_int32(const ConvShape& s, const Tensor& x, int32_t x_zp, const Tensor& w, const std::vector<int32_t>& w_zp,
                const int32_t* bias, int32_t* acc) {
  Window3 g = to_window3(s.geometry);
  int64_t in_size = g.in_size(), out_size = g.out_size(), ks = g.kernel_size();
  int64_t cg = s.in_channels / s.group, mg = s.out_channels / s.group;
  int64_t depth = cg * ks;
  // Weights minus their zero point, one row per output channel ([M, C/group * kernel] is already row-major).
  std::vector<int16_t> wq(static_cast<size_t>(s.out_channels * depth));
  for (int64_t m = 0; m < s.out_channels; ++m)
    to_s16_minus_zp(w, m * depth, depth, w_zp.size() == 1 ? w_zp[0] : w_zp[static_cast<size_t>(m)],
                    wq.data() + m * depth);
  std::vector<int16_t> xq(static_cast<size_t>(s.batch * s.in_channels * in_size));
  to_s16_minus_zp(x, 0, s.batch * s.in_channels * in_size, x_zp, xq.data());

  bool parallel = s.batch * s.out_channels * out_size * depth > kParallelMacs;
  if (cg == 1 && mg == 1) {  // depthwise
    int64_t planes = s.batch * s.in_channels;
#pragma omp parallel if (parallel)
    {
      std::vector<int16_t> phases;
      std::vector<int32_t> row;
#pragma omp for schedule(static)
      for (int64_t i = 0; i < planes; ++i) {
        int64_t c = i % s.in_channels;
        depthwise_channel(g, xq.data() + i * in_size, wq.data() + c * ks, bias ? bias[c] : 0, acc + i * out_size,
                          phases, row);
      }
    }
    return;
  }

  // Weights as k pairs, rows padded to a multiple of kTileRows per group (zero rows, zero odd k).
  int64_t k_pairs = (depth + 1) / 2;
  int64_t row_tiles = (mg + kTileRows - 1) / kTileRows;
  std::vector<int32_t> w2(static_cast<size_t>(s.group * row_tiles * kTileRows * k_pairs), 0);
  for (int64_t grp = 0; grp < s.group; ++grp)
    for (int64_t m = 0; m < mg; ++m) {
      int16_t* dst = reinterpret_cast<int16_t*>(w2.data() + (grp * row_tiles * kTileRows + m) * k_pairs);
      std::copy(wq.data() + (grp * mg + m) * depth, wq.data() + (grp * mg + m + 1) * depth, dst);
    }
  // The GEMM's right-hand side per (image, group), packed once as k pairs: rhs[kp][p] = {col[2kp, p],
  // col[2kp + 1, p]} with col = x itself (pointwise) or its im2col; pixels padded to whole panels with zeros.
  bool pointwise = is_pointwise(g);
  int64_t jobs = s.batch * s.group;
  int64_t panels = (out_size + kTileCols - 1) / kTileCols;
  int64_t ld = panels * kTileCols;
  std::vector<int32_t> rhs(static_cast<size_t>(jobs * k_pairs * ld), 0);
#pragma omp parallel if (parallel)
  {
    std::vector<int16_t> col(pointwise ? 0 : static_cast<size_t>(depth * out_size));
#pragma omp for schedule(static)
    for (int64_t jb = 0; jb < jobs; ++jb) {
      const int16_t* src = xq.data() + jb * cg * in_size;
      if (!pointwise) {
        im2col_s16(g, cg, src, col.data());
        src = col.data();
      }
      int16_t* dst = reinterpret_cast<int16_t*>(rhs.data() + jb * k_pairs * ld);
      for (int64_t k = 0; k < depth; ++k) {
        int16_t* d = dst + (k / 2) * ld * 2 + (k % 2);
        const int16_t* sk = src + k * out_size;
        for (int64_t p = 0; p < out_size; ++p) d[2 * p] = sk[p];
      }
    }
  }
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t item = 0; item < jobs * panels; ++item) {
    int64_t jb = item / panels, p0 = (item % panels) * kTileCols;
    int64_t n = jb / s.group, grp = jb % s.group;
    int64_t width = std::min(kTileCols, out_size - p0);
    const int32_t* panel = rhs.data() + jb * k_pairs * ld + p0;
    int32_t* y = acc + (n * s.out_channels + grp * mg) * out_size + p0;
    for (int64_t rt = 0; rt < row_tiles; ++rt) {
      int32_t tile[kTileRows][kTileCols];
      conv_tile(k_pairs, w2.data() + (grp * row_tiles + rt) * kTileRows * k_pairs, panel, ld, tile);
      for (int64_t r = 0; r < kTileRows && rt * kTileRows + r < mg; ++r) {
        int64_t m = rt * kTileRows + r;
        int32_t b = bias ? bias[grp * mg + m] : 0;
        for (int64_t j = 0; j < width; ++j) y[m * out_size + j] = tile[r][j] + b;
      }
    }
  }
}

// --- MatMul shapes -------------------------------------------------------------------------------------

Result<MatMulDims> matmul_dims(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) return error("operands must have rank >= 1 (got {} and {})", shape_str(a), shape_str(b));
  MatMulDims d;
  Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  d.m = a2[a2.size() - 2];
  d.k = a2[a2.size() - 1];
  d.n = b2[b2.size() - 1];
  if (b2[b2.size() - 2] != d.k)
    return error("inner dims differ: A {} has K={}, B {} has K={}", shape_str(a), d.k, shape_str(b), b2[b2.size() - 2]);
  Shape ab(a2.begin(), a2.end() - 2), bb(b2.begin(), b2.end() - 2);
  INR_ASSIGN_OR_RETURN(Shape batch, broadcast_shapes(ab, bb));
  d.out = batch;
  if (a.size() > 1) d.out.push_back(d.m);
  if (b.size() > 1) d.out.push_back(d.n);
  d.batch = shape_numel(batch);
  size_t r = batch.size();
  std::vector<int64_t> sa = broadcast_strides(ab, r), sb = broadcast_strides(bb, r);
  std::vector<int64_t> idx(r, 0);
  for (int64_t bi = 0; bi < d.batch; ++bi) {
    int64_t ao = 0, bo = 0;
    for (size_t i = 0; i < r; ++i) {
      ao += idx[i] * sa[i];
      bo += idx[i] * sb[i];
    }
    d.a_offset.push_back(ao * d.m * d.k);
    d.b_offset.push_back(bo * d.k * d.n);
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < batch[i]) break;
      idx[i] = 0;
    }
  }
  return d;
}

void matmul_int32(const IntMatMul& d, const Tensor& a, int64_t a_off, const std::vector<int32_t>& a_zp, const Tensor& b,
                  int64_t b_off, const std::vector<int32_t>& b_zp, int32_t* c, bool accumulate) {
  auto zp_of = [](const std::vector<int32_t>& z, int64_t i) { return z.size() == 1 ? z[0] : z[static_cast<size_t>(i)]; };
  // Both operands become k-contiguous int16 rows: A' rows [M, K] and B' columns [N, K].
  std::vector<int16_t> ar(static_cast<size_t>(d.m * d.k)), bc(static_cast<size_t>(d.n * d.k));
  for (int64_t i = 0; i < d.m; ++i)
    for (int64_t k = 0; k < d.k; ++k)
      ar[static_cast<size_t>(i * d.k + k)] =
          static_cast<int16_t>(load_qint(a, a_off + (d.a_trans ? k * d.m + i : i * d.k + k)) - zp_of(a_zp, i));
  for (int64_t j = 0; j < d.n; ++j)
    for (int64_t k = 0; k < d.k; ++k)
      bc[static_cast<size_t>(j * d.k + k)] =
          static_cast<int16_t>(load_qint(b, b_off + (d.b_trans ? j * d.k + k : k * d.n + j)) - zp_of(b_zp, j));
  gemm_s16_nt(d.m, d.n, d.k, ar.data(), bc.data(), c, accumulate);
}

Status infer_qlinear_binary(Node& node) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[3];
  if (node.input(1) == nullptr || node.input(4) == nullptr || node.input(6) == nullptr)
    return error("A_scale, B_scale and C_scale are required");
  INR_TRY(expect_dtype(a, {DType::kU8, DType::kI8}, "input A"));
  INR_TRY(expect_dtype(b, {a->dtype}, "input B"));
  for (size_t i : {1, 4, 6}) {
    INR_TRY(expect_scale_dtype(node.inputs[i], "scale"));
    INR_TRY(expect_qparam_shape(node.inputs[i], 0, "scale"));
  }
  for (size_t i : {2, 5, 7}) {
    INR_TRY(expect_zp_dtype(node.input(i), a->dtype, "zero point"));
    INR_TRY(expect_qparam_shape(node.input(i), 0, "zero point"));
  }
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(a->shape, b->shape));
  set_output(node, 0, a->dtype, std::move(out));
  return Status::ok();
}

}  // namespace inr
