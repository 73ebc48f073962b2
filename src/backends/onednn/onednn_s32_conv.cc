// Exact s8 x s8 -> int32 convolutions on oneDNN (see onednn_s32_conv.h for the conditions and why).
#include "backends/onednn/onednn_s32_conv.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <omp.h>

#include "backends/onednn/onednn_backend.h"
#include "backends/onednn/onednn_compiler.h"
#include "backends/onednn/onednn_int8.h"
#include "core/cpu_tier.h"
#include "core/transpose.h"

namespace inr::onednn {

namespace {

using dt = memory::data_type;
using tag = memory::format_tag;
using fwd = dnnl::convolution_forward;

const dnnl::engine& engine() {
  static const dnnl::engine e = (onednn_apply_cpu_tier(), dnnl::engine(dnnl::engine::kind::cpu, 0));
  return e;
}

// The largest sum of |w| over one output channel's taps.
int64_t max_abs_row_sum(const Tensor& w, int64_t m) {
  const int8_t* p = w.data<int8_t>();
  const int64_t k = w.numel() / m;
  int64_t best = 0;
  for (int64_t j = 0; j < m; ++j) {
    int64_t s = 0;
    for (int64_t i = 0; i < k; ++i) s += std::abs(static_cast<int32_t>(p[j * k + i]));
    best = std::max(best, s);
  }
  return best;
}

}  // namespace

struct Int8ConvS32::Impl {
  int64_t N = 0, C = 0, H = 0, W = 0, M = 0, OH = 0, OW = 0;
  bool shift = false;  // s8 source made u8 (x xor 0x80, zero point 128): tiers without VNNI
  // One primitive per band shape ("kind": input rows, pads, output rows) and weight part.
  struct Prim {
    fwd prim;
    memory src, dst;
    std::unordered_map<int, memory> args;  // the execute() arguments (src and dst re-pointed per band)
  };
  std::vector<std::vector<Prim>> kinds;  // [kind][part]
  struct Band {
    int64_t oh0, oh1, in0;  // output rows [oh0, oh1), reading input rows from in0
    size_t kind;
  };
  std::vector<Band> bands;  // of one image
  std::vector<uint8_t> src_buf;              // the source in channels-last order (shifted when `shift`), when needed
  std::vector<uint8_t> scratch;              // oneDNN's scratchpad, shared by the primitives
  std::vector<std::vector<int32_t>> acc;     // per part: one band's accumulators
  std::string impl;
  dnnl::stream stream;
};

Int8ConvS32::Int8ConvS32(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Int8ConvS32::~Int8ConvS32() = default;
int Int8ConvS32::parts() const { return static_cast<int>(impl_->acc.size()); }
int64_t Int8ConvS32::band_rows() const { return impl_->bands.empty() ? 0 : impl_->bands[0].oh1 - impl_->bands[0].oh0; }
std::string Int8ConvS32::impl() const { return impl_->impl; }

Result<std::unique_ptr<Int8ConvS32>> Int8ConvS32::make(const ConvShape& cs, const Tensor& w, int64_t band_bytes) {
  const WindowGeometry& g = cs.geometry;
  if (g.rank() != 2) return error("{}-D convolution (2-D only)", g.rank());
  if (w.dtype() != DType::kI8 || w.shape().size() != 4) return error("weights are not s8 [M, C/group, KH, KW]");
  INR_TRY(window_fits_onednn_int(g.in, g.out, g.kernel, g.stride, g.dilation, g.pad_begin, g.pad_end));
  auto impl = std::make_unique<Impl>();
  Impl& im = *impl;
  im.N = cs.batch, im.C = cs.in_channels, im.H = g.in[0], im.W = g.in[1], im.M = cs.out_channels;
  im.OH = g.out[0], im.OW = g.out[1];
  if (im.N * im.OH * im.OW == 0 || im.M == 0 || im.C == 0 || im.H * im.W == 0) return error("empty convolution");
  const int64_t bound = 255 * max_abs_row_sum(w, im.M);
  if (bound >= (int64_t{1} << 24))
    return error("an output channel's sum could reach {} (oneDNN's int8 store is exact below 2^24)", bound);
  im.shift = !cpu_has_exact_int8();
  const Int8Route route = int8_route(im.shift ? DType::kU8 : DType::kI8, w);
  if (route == Int8Route::kNone) return error("no exact int8 route on CPU tier {}", cpu_tier_name(cpu_tier()));

  const int64_t group = cs.group;
  const Shape& ws = w.shape();
  const bool depthwise = group > 1 && ws[0] == group && ws[1] == 1;
  Dims w_dims = group == 1 ? Dims{ws[0], ws[1], ws[2], ws[3]} : Dims{group, ws[0] / group, ws[1], ws[2], ws[3]};
  memory::desc w_plain(w_dims, dt::s8, group == 1 ? tag::oihw : tag::goihw);
  memory::desc w_any(w_dims, dt::s8, tag::any);
  Dims strides(g.stride.begin(), g.stride.end());
  Dims dilates{g.dilation[0] - 1, g.dilation[1] - 1};
  const int32_t src_zp = im.shift ? 128 : 0;

  // Bands of output rows whose accumulators fit in `band_bytes` (they stay in cache for the caller).
  if (band_bytes <= 0) band_bytes = kBandBytesPerThread * std::max(1, omp_get_max_threads());
  const int64_t rows_per_band =
      std::clamp<int64_t>(band_bytes / std::max<int64_t>(1, im.OW * im.M * 4), 1, im.OH);
  struct Kind {
    int64_t in_rows, pad_t, pad_b, out_rows;
    bool operator==(const Kind&) const = default;
  };
  std::vector<Kind> kinds;
  const int64_t extent = (g.kernel[0] - 1) * g.dilation[0] + 1;
  for (int64_t oh0 = 0; oh0 < im.OH; oh0 += rows_per_band) {
    const int64_t oh1 = std::min(im.OH, oh0 + rows_per_band);
    const int64_t ih_lo = oh0 * g.stride[0] - g.pad_begin[0], ih_hi = (oh1 - 1) * g.stride[0] - g.pad_begin[0] + extent;
    const int64_t in0 = std::max<int64_t>(0, ih_lo), in1 = std::min(im.H, ih_hi);
    if (in1 <= in0) return error("output rows {}..{} read only padding", oh0, oh1);
    Kind k{in1 - in0, in0 - ih_lo, ih_hi - in1, oh1 - oh0};
    size_t ki = static_cast<size_t>(std::find(kinds.begin(), kinds.end(), k) - kinds.begin());
    if (ki == kinds.size()) kinds.push_back(k);
    im.bands.push_back({oh0, oh1, in0, ki});
  }

  auto make_pd = [&](const Kind& k, bool runtime_zp) {
    dnnl::primitive_attr a = Compiler::base_attr();
    if (src_zp != 0) a.set_zero_points(DNNL_ARG_SRC, 0, {runtime_zp ? DNNL_RUNTIME_S32_VAL : src_zp});
    memory::desc src_md({1, im.C, k.in_rows, im.W}, im.shift ? dt::u8 : dt::s8, tag::acdb);
    memory::desc acc_md({1, im.M, k.out_rows, im.OW}, dt::s32, tag::acdb);
    fwd::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, w_any, acc_md,
                strides, dilates, Dims{k.pad_t, g.pad_begin[1]}, Dims{k.pad_b, g.pad_end[1]});
    return fwd::primitive_desc(d, a, engine());
  };
  std::vector<fwd::primitive_desc> pds;
  bool runtime_zp = false, split = route == Int8Route::kSplit;
  for (const Kind& k : kinds) {
    std::optional<std::pair<fwd::primitive_desc, bool>> picked;
    if (pds.empty()) {
      picked = choose_int8_pd<fwd::primitive_desc>(src_zp != 0, [&](bool rt) { return make_pd(k, rt); });
    } else {
      try {
        picked.emplace(make_pd(k, runtime_zp), runtime_zp);
      } catch (const dnnl::error&) {
      }
    }
    if (!picked) return error("oneDNN has no int8 convolution to s32 for this geometry");
    const std::string name = picked->first.impl_info_str();
    if (is_reference_impl(picked->first))
      return error("oneDNN's only int8 convolution here is its reference implementation ({})", name);
    if (pds.empty()) {
      runtime_zp = picked->second;
      // The split route (two pair-safe weight parts), except for a depthwise convolution on the direct JIT
      // kernel, which widens to 16 bits.
      split = split && !(depthwise && name.rfind("jit", 0) == 0 && name.find("gemm") == std::string::npos);
    } else if (route == Int8Route::kSplit && !split &&
               (name.rfind("jit", 0) != 0 || name.find("gemm") != std::string::npos)) {
      return error("a band of this depthwise convolution is not on the direct JIT kernel ({})", name);
    }
    if (im.impl.find(name) == std::string::npos) im.impl += (im.impl.empty() ? "" : ", ") + name;
    pds.push_back(picked->first);
  }

  std::vector<std::vector<int8_t>> weights;
  if (split) {
    weights.resize(2);
    split_pair_safe(w, weights[0], weights[1]);
    im.impl += " (split weights)";
  } else {
    weights.emplace_back(w.data<int8_t>(), w.data<int8_t>() + w.numel());
  }
  im.stream = dnnl::stream(engine());
  size_t scratch = 0;
  for (const auto& pd : pds) scratch = std::max(scratch, pd.scratchpad_desc().get_size());
  im.scratch.resize(scratch);
  im.acc.resize(weights.size());
  for (auto& a : im.acc) a.resize(static_cast<size_t>(rows_per_band * im.OW * im.M));
  std::optional<memory> zp;
  if (runtime_zp) {
    zp.emplace(memory::desc({1}, dt::s32, tag::x), engine());
    *static_cast<int32_t*>(zp->get_data_handle()) = src_zp;
  }
  // The reordered weights (which carry oneDNN's compensations), one per part and layout the kinds ask for.
  std::vector<std::vector<memory>> reordered(weights.size());
  auto weights_for = [&](size_t part, const memory::desc& md) {
    for (const memory& m : reordered[part])
      if (m.get_desc() == md) return m;
    memory plain(w_plain, engine(), weights[part].data());
    memory out(md, engine());
    dnnl::reorder(plain, out).execute(im.stream, plain, out);
    im.stream.wait();
    reordered[part].push_back(out);
    return out;
  };
  for (const auto& pd : pds) {
    std::vector<Impl::Prim> parts;
    for (size_t part = 0; part < weights.size(); ++part) {
      Impl::Prim p;
      p.prim = fwd(pd);
      p.src = memory(pd.src_desc(), engine(), DNNL_MEMORY_NONE);
      p.dst = memory(pd.dst_desc(), engine(), DNNL_MEMORY_NONE);
      p.args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, weights_for(part, pd.weights_desc())}, {DNNL_ARG_DST, p.dst}};
      if (!im.scratch.empty())
        p.args.emplace(DNNL_ARG_SCRATCHPAD, memory(pd.scratchpad_desc(), engine(), im.scratch.data()));
      if (zp) p.args.emplace(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, *zp);
      parts.push_back(std::move(p));
    }
    im.kinds.push_back(std::move(parts));
  }
  return std::unique_ptr<Int8ConvS32>(new Int8ConvS32(std::move(impl)));
}

void Int8ConvS32::run(const int8_t* x, bool x_nhwc, const BandFn& done) {
  Impl& im = *impl_;
  const uint8_t mask = im.shift ? 0x80 : 0;
  const auto* xs = reinterpret_cast<const uint8_t*>(x);
  const uint8_t* src = xs;
  if (!x_nhwc || mask != 0) {
    if (im.src_buf.empty()) im.src_buf.resize(static_cast<size_t>(im.N * im.C * im.H * im.W));  // (once)
    uint8_t* dst = im.src_buf.data();
    const int64_t C = im.C, HW = im.H * im.W;
    if (x_nhwc) {
      const int64_t n = im.N * HW * C;
      for (int64_t i = 0; i < n; ++i) dst[i] = xs[i] ^ mask;
    } else {
      // [C, HW] -> [HW, C] per image (core/transpose.h: 16 x 16 byte blocks, the xor on the way).
      for (int64_t n = 0; n < im.N; ++n)
        transpose_i8(x + n * C * HW, HW, C, HW, reinterpret_cast<int8_t*>(dst + n * C * HW), C, mask);
    }
    src = dst;
  }
  const int32_t* acc[2] = {im.acc[0].data(), im.acc.size() > 1 ? im.acc[1].data() : nullptr};
  for (int64_t n = 0; n < im.N; ++n)
    for (const Impl::Band& b : im.bands) {
      std::vector<Impl::Prim>& parts = im.kinds[b.kind];
      for (size_t i = 0; i < parts.size(); ++i) {
        Impl::Prim& p = parts[i];
        p.src.set_data_handle(const_cast<uint8_t*>(src + ((n * im.H + b.in0) * im.W) * im.C));
        p.dst.set_data_handle(im.acc[i].data());
        p.prim.execute(im.stream, p.args);
      }
      im.stream.wait();
      done(n, b.oh0, b.oh1, acc);
    }
}

}  // namespace inr::onednn
