// JPEG encoding (TurboJPEG): what it writes decodes back with inr's own decoder to the same size and
// nearly the same pixels, quality trades size for error, and bad arguments are errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "image/image.h"
#include "image/jpeg_write.h"

namespace inr::image {
namespace {

// A smooth 2-D colour gradient of odd size (JPEG's 8x8 blocks and 4:2:0 chroma do not divide it).
Image gradient(int w, int h) {
  Image img{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(255 * x / (w - 1));
      p[1] = static_cast<uint8_t>(255 * y / (h - 1));
      p[2] = static_cast<uint8_t>(128 + 100 * std::sin(0.05 * (x + y)));
    }
  return img;
}

double mean_abs_diff(const Image& a, const Image& b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int{a.pixels[i]} - int{b.pixels[i]});
  return sum / static_cast<double>(a.pixels.size());
}

TEST(JpegWrite, DecodesBackToTheSameImage) {
  const Image img = gradient(97, 61);
  auto jpeg = encode_jpeg(img, 90);
  ASSERT_TRUE(jpeg.is_ok()) << jpeg.status().message();
  ASSERT_GE(jpeg->size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>((*jpeg)[0]), 0xFF);
  EXPECT_EQ(static_cast<uint8_t>((*jpeg)[1]), 0xD8);  // SOI
  const auto bytes = std::span(reinterpret_cast<const uint8_t*>(jpeg->data()), jpeg->size());
  EXPECT_EQ(detect_format(bytes), ImageFormat::kJpeg);
  auto back = decode_memory(bytes, DecodeOptions{});
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->width, 97);
  EXPECT_EQ(back->height, 61);
  // Quality 90 on a smooth image: an error of about one grey level per channel (tolerance for this case).
  EXPECT_LT(mean_abs_diff(img, *back), 2.0);
}

TEST(JpegWrite, LowerQualityIsSmallerAndCoarser) {
  const Image img = gradient(120, 90);
  auto hi = encode_jpeg(img, 95), lo = encode_jpeg(img, 20);
  ASSERT_TRUE(hi.is_ok() && lo.is_ok());
  EXPECT_LT(lo->size(), hi->size());
  auto dh = decode_memory(std::span(reinterpret_cast<const uint8_t*>(hi->data()), hi->size()), DecodeOptions{});
  auto dl = decode_memory(std::span(reinterpret_cast<const uint8_t*>(lo->data()), lo->size()), DecodeOptions{});
  ASSERT_TRUE(dh.is_ok() && dl.is_ok());
  EXPECT_LT(mean_abs_diff(img, *dh), mean_abs_diff(img, *dl));
}

TEST(JpegWrite, RefusesBadArguments) {
  EXPECT_FALSE(encode_jpeg(Image{}, 80).is_ok());
  Image wrong{4, 4, std::vector<uint8_t>(10)};
  EXPECT_FALSE(encode_jpeg(wrong, 80).is_ok());
  auto q = encode_jpeg(gradient(8, 8), 0);
  ASSERT_FALSE(q.is_ok());
  EXPECT_NE(q.status().message().find("quality 0"), std::string::npos);
  EXPECT_FALSE(encode_jpeg(gradient(8, 8), 101).is_ok());
}

}  // namespace
}  // namespace inr::image
