// Resampling kernels: Pillow-exact (Image.resize with BILINEAR / BICUBIC / LANCZOS, antialiased when
// shrinking) and OpenCV-exact (cv::resize INTER_LINEAR / INTER_CUBIC / INTER_AREA on 8-bit images, as
// OpenCV 4.6 on x86-64 computes them; tests/image/cv_parity_test.cc checks every pixel against cv2).
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

// The algorithm cv::resize runs for an 8-bit image. OpenCV picks it from the scales of both axes, so both
// AxisCoeffs of one resize are built with the same CvAlgo, from cv_algo(). Ignored by the Pillow kernels.
enum class CvAlgo {
  kInterp,       // separable fixed-point interpolation: INTER_LINEAR, INTER_CUBIC, INTER_AREA growing an axis
  kAreaFloat,    // INTER_AREA with both axes shrinking, a scale not an integer: float pixel-area weights
  kAreaInteger,  // INTER_AREA with integer scales on both axes, and INTER_LINEAR at exactly 1/2 x 1/2: block sums
};
CvAlgo cv_algo(Kernel kernel, int in_width, int in_height, int out_width, int out_height);

// OpenCV treats the two axes differently (the horizontal linear weights are clamped at the borders, the
// vertical ones are not and read a clamped row instead), so a table is built for one of them.
enum class Axis { kHorizontal, kVertical };

// One axis of a separable resize: output o reads input [start[o], start[o] + count[o]) with weights
// w[o * ksize + t]. Integer weights are fixed point (22 fractional bits for Pillow, 11 for OpenCV, 0 for
// OpenCV's integer block sums); `fweights` is used instead by CvAlgo::kAreaFloat.
struct AxisCoeffs {
  int in_size = 0;
  int out_size = 0;
  Kernel kernel = Kernel::kPilBilinear;
  CvAlgo algo = CvAlgo::kInterp;
  Axis axis = Axis::kHorizontal;
  int ksize = 0;
  std::vector<int32_t> start;
  std::vector<int32_t> count;
  std::vector<int32_t> w;
  std::vector<float> fweights;
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

// Builds the coefficients of one axis. `algo` and `axis` matter for the OpenCV kernels only; `algo` must be
// cv_algo() of the whole resize.
void build_axis(Kernel kernel, int in_size, int out_size, CvAlgo algo, Axis axis, AxisCoeffs& out);

// Input range [first, last) that outputs [o0, o1) of this axis read.
void source_span(const AxisCoeffs& c, int o0, int o1, int& first, int& last);

// Small cache of coefficient tables keyed by (kernel, in, out, algo, axis); returns a reference valid until
// the next call.
class CoeffCache {
 public:
  const AxisCoeffs& get(Kernel kernel, int in_size, int out_size, CvAlgo algo, Axis axis);

 private:
  static constexpr size_t kEntries = 8;
  struct Entry {
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
  std::vector<int32_t> i32;   // OpenCV fixed point and block sums: horizontal sums kept unrounded
  std::vector<float> f32;     // OpenCV INTER_AREA shrinking: float sums
};

// Writes window [ox0, ox1) x [oy0, oy1) of the resize described by (h, v) to dst (RGB rows of `dst_stride`
// bytes). h and v are the tables of one resize (same kernel; for OpenCV the same CvAlgo).
// Pillow kernels: skips the horizontal (vertical) pass when the width (height) is unchanged, as Pillow does.
// OpenCV INTER_CUBIC: OpenCV's vertical pass rounds in float for the first 8 * floor(3 * width / 8) values of a
// row and in fixed point for the rest; the position is counted in the RGB row, i.e. the result is that of
// cv::resize on the RGB image (on a BGR image the at most two split values of the last pixel can differ).
void resize_window(const SourceView& src, const AxisCoeffs& h, const AxisCoeffs& v, int ox0, int ox1, int oy0,
                   int oy1, ResizeScratch& scratch, uint8_t* dst, size_t dst_stride);

}  // namespace inr::image
