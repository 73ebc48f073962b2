// Resampling kernels: Pillow-exact (Image.resize with BILINEAR / BICUBIC / LANCZOS, antialiased when
// shrinking) and OpenCV-style (cv::resize INTER_LINEAR / INTER_CUBIC / INTER_AREA).
//
// Both are separable and are written to compute only a window [ox0, ox1) x [oy0, oy1) of the resized
// image: Pillow resizes horizontally then vertically, each output pixel of a pass depends only on its own
// coefficient span, so computing just the pixels that survive the center crop gives bit-identical results
// to resizing everything and cropping afterwards (that is what makes the torchvision preset fast).
//
// Images are 8-bit RGB interleaved. Coefficient tables depend only on (in size, out size, filter) and can
// be cached and reused across images of the same size (see CoeffCache). Nothing here is thread-safe
// except that distinct objects may be used from distinct threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace inr::image {

enum class Kernel {
  kPilBilinear,  // Pillow Image.BILINEAR (triangle, support 1, scaled by the shrink factor)
  kPilBicubic,   // Pillow Image.BICUBIC (a = -0.5, support 2, scaled)
  kPilLanczos,   // Pillow Image.LANCZOS (a = 3, support 3, scaled)
  kCvLinear,     // OpenCV INTER_LINEAR (2 taps, half-pixel centres, 11-bit fixed point, no antialias)
  kCvCubic,      // OpenCV INTER_CUBIC (4 taps, a = -0.75, 11-bit fixed point)
  kCvArea,       // OpenCV INTER_AREA (pixel-area average when shrinking, its linear variant when growing)
};

// One axis of a separable resize: output o reads input [start[o], start[o] + count[o]) with weights
// w[o * ksize + t]. Integer weights are fixed point with `shift` fractional bits; `fweights` is used
// instead by the float path (INTER_AREA shrinking).
struct AxisCoeffs {
  int in_size = 0;
  int out_size = 0;
  Kernel kernel = Kernel::kPilBilinear;
  int ksize = 0;
  std::vector<int32_t> start;
  std::vector<int32_t> count;
  std::vector<int32_t> w;
  std::vector<float> fweights;
  bool is_float = false;
  // Pillow kernels, fast path: every output gets exactly `kfixed` taps (the largest count of this axis),
  // starting at fixed_start[o] with weights fixed_w[o * kfixed + t]; spans shorter than kfixed are padded
  // with zero weights (shifted left at the right edge), which adds exact zeros to the sums. 0 when the
  // input is narrower than kfixed.
  int kfixed = 0;
  std::vector<int32_t> fixed_start;
  std::vector<int32_t> fixed_w;
  std::vector<int32_t> fixed_wt;  // the same weights transposed, [kfixed][out_size], for the SIMD kernel
  // Source indices are clamped into [0, in_size) (OpenCV's replicated border); Pillow's spans never leave it.
  bool clamp = false;
};

// Builds the coefficients of one axis. For the OpenCV kernels the other axis' scale matters for
// INTER_AREA (OpenCV picks the area or linear variant from both), hence `area_shrinks_both`.
void build_axis(Kernel kernel, int in_size, int out_size, bool area_shrinks_both, AxisCoeffs& out);

// Input range [first, last) that outputs [o0, o1) of this axis read.
void source_span(const AxisCoeffs& c, int o0, int o1, int& first, int& last);

// Small cache of coefficient tables keyed by (kernel, in, out, area flag); returns a reference valid until
// the next call.
class CoeffCache {
 public:
  const AxisCoeffs& get(Kernel kernel, int in_size, int out_size, bool area_shrinks_both);

 private:
  static constexpr size_t kEntries = 8;
  struct Entry {
    bool area = false;
    uint64_t stamp = 0;
    AxisCoeffs c;
  };
  Entry entries_[kEntries];
  uint64_t clock_ = 0;
};

// Source view: pixel (x, y) of the full image is at base + (y - y0) * stride + (x - x0) * 3, valid for the
// rows/columns the coefficient spans of the requested window touch.
struct SourceView {
  const uint8_t* base = nullptr;
  size_t stride = 0;
  int x0 = 0;
  int y0 = 0;
  int width = 0;  // columns held per row: full-image columns [x0, x0 + width)
};

// Buffers of the horizontal pass, kept between calls so that steady-state resizing allocates nothing.
struct ResizeScratch {
  std::vector<uint8_t> u8;    // Pillow: the horizontal pass is rounded and clipped to 8 bits
  std::vector<int32_t> i32;   // OpenCV fixed point: horizontal sums kept unrounded
  std::vector<float> f32;     // OpenCV INTER_AREA shrinking: float sums
};

// Writes window [ox0, ox1) x [oy0, oy1) of the resize described by (h, v) to dst (RGB rows of `dst_stride`
// bytes). 
// Pillow kernels: skips the horizontal (vertical) pass when the width (height) is unchanged, as Pillow does.
void resize_window(const SourceView& src, const AxisCoeffs& h, const AxisCoeffs& v, int ox0, int ox1, int oy0,
                   int oy1, ResizeScratch& scratch, uint8_t* dst, size_t dst_stride);

}  // namespace inr::image
