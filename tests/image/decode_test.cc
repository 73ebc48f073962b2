// Decoding: colour modes converted as Pillow's convert("RGB"), broken files refused with one line, EXIF
// orientation only on request, the pixel limit, and the JPEG region path identical to a full decode.
#include <gtest/gtest.h>

#include "core/file.h"
#include "image/decoders.h"
#include "image/image.h"
#include "image/png_write.h"
#include "image_test_util.h"

namespace inr::image {
namespace {

using inr::test::data_dir;
using inr::test::has_data;

#define REQUIRE_DATA() \
  if (!has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)"

std::string edge(const std::string& name) { return data_dir() + "/images/edge/" + name; }

TEST(ImageDecode, GrayscaleSamplesBecomeThreeEqualChannels) {
  REQUIRE_DATA();
  for (const char* name : {"n02692877_airship", "n03908714_pencil_sharpener", "n04254680_soccer_ball"}) {
    auto img = decode_file(data_dir() + "/imagenet/samples/" + name + ".JPEG");
    ASSERT_TRUE(img.is_ok()) << img.status().message();
    bool all_equal = true, varied = false;
    for (size_t i = 0; i < img->pixels.size(); i += 3) {
      all_equal &= img->pixels[i] == img->pixels[i + 1] && img->pixels[i] == img->pixels[i + 2];
      varied |= img->pixels[i] != img->pixels[0];
    }
    EXPECT_TRUE(all_equal) << name;
    EXPECT_TRUE(varied) << name;
  }
}

TEST(ImageDecode, ColourModesMatchTheirRgbSource) {
  REQUIRE_DATA();
  // The edge images are the same photo saved in several modes; each decodes to 500x376 RGB. Exact values
  // are checked against Pillow by the parity test; here: sizes and the relations between modes.
  auto gray = decode_file(edge("gray.png"));
  auto gray16 = decode_file(edge("gray16.png"));
  auto rgba = decode_file(edge("rgba.png"));
  auto palette = decode_file(edge("palette.png"));
  auto cmyk = decode_file(edge("cmyk.jpg"));
  for (auto* r : {&gray, &gray16, &rgba, &palette, &cmyk}) {
    ASSERT_TRUE(r->is_ok()) << r->status().message();
    EXPECT_EQ((*r)->width, 500);
    EXPECT_EQ((*r)->height, 376);
  }
  // 16-bit gray keeps the high byte: within 1 of the 8-bit gray version of the same photo (Pillow would
  // clip nearly everything to 255 instead).
  test::PixelDiff d = test::compare(*gray16, *gray);
  EXPECT_LE(d.max_diff, 1);
  int64_t saturated = 0;
  for (uint8_t v : gray16->pixels) saturated += v == 255;
  EXPECT_LT(saturated, static_cast<int64_t>(gray16->pixels.size() / 2));
}

TEST(ImageDecode, BrokenFilesGiveOneLineErrors) {
  REQUIRE_DATA();
  struct Case {
    const char* file;
    const char* expect;
  };
  for (Case c : {Case{"truncated.jpg", "premature end"}, Case{"zero_bytes.jpg", "empty file"},
                 Case{"not_an_image.jpg", "not a JPEG or PNG"}, Case{"corrupt_crc.png", "CRC error"}}) {
    auto img = decode_file(edge(c.file));
    ASSERT_FALSE(img.is_ok()) << c.file;
    const std::string msg = img.status().message();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.file), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
  }
}

TEST(ImageDecode, ExifOrientationAppliedOnlyOnRequest) {
  REQUIRE_DATA();
  auto plain = decode_file(edge("exif_orient6.jpg"));
  DecodeOptions o;
  o.apply_exif_orientation = true;
  auto rotated = decode_file(edge("exif_orient6.jpg"), o);
  ASSERT_TRUE(plain.is_ok() && rotated.is_ok());
  EXPECT_EQ(plain->width, 500);
  EXPECT_EQ(plain->height, 376);
  ASSERT_EQ(rotated->width, 376);  // orientation 6: rotate 90 degrees clockwise
  ASSERT_EQ(rotated->height, 500);
  // Output (x, y) = input (y, H - 1 - x).
  for (int y : {0, 17, 499})
    for (int x : {0, 5, 375})
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(rotated->row(y)[x * 3 + c], plain->row(376 - 1 - x)[y * 3 + c]);
}

TEST(ImageDecode, OrientationTransformsOnTinyImage) {
  Image img;
  img.width = 3;
  img.height = 2;
  for (int i = 0; i < 6; ++i) img.pixels.insert(img.pixels.end(), {uint8_t(i), uint8_t(i), uint8_t(i)});
  // 0 1 2 / 3 4 5
  auto at = [](const Image& m, int x, int y) { return int{m.row(y)[x * 3]}; };
  Image r = img;
  apply_orientation(r, 8);  // rotate 90 counter-clockwise: 2 5 / 1 4 / 0 3
  ASSERT_EQ(r.width, 2);
  EXPECT_EQ(at(r, 0, 0), 2);
  EXPECT_EQ(at(r, 1, 0), 5);
  EXPECT_EQ(at(r, 0, 2), 0);
  r = img;
  apply_orientation(r, 3);  // 5 4 3 / 2 1 0
  EXPECT_EQ(at(r, 0, 0), 5);
  EXPECT_EQ(at(r, 2, 1), 0);
  r = img;
  apply_orientation(r, 2);  // 2 1 0 / 5 4 3
  EXPECT_EQ(at(r, 0, 1), 5);
}

TEST(ImageDecode, PixelLimitRefusesBeforeDecoding) {
  REQUIRE_DATA();
  DecodeOptions o;
  o.max_pixels = 500 * 376 - 1;
  auto img = decode_file(edge("progressive.jpg"), o);
  ASSERT_FALSE(img.is_ok());
  EXPECT_NE(img.status().message().find("above the limit"), std::string::npos) << img.status().message();
  auto png = decode_file(edge("rgba.png"), o);
  ASSERT_FALSE(png.is_ok());
  o.max_pixels = 500 * 376;
  EXPECT_TRUE(decode_file(edge("progressive.jpg"), o).is_ok());
  EXPECT_EQ(kDefaultMaxPixels, 178956970);  // 2 * Pillow's MAX_IMAGE_PIXELS
}

TEST(ImageDecode, PngRoundTripThroughWriter) {
  Image img;
  img.width = 7;
  img.height = 5;
  for (int i = 0; i < 7 * 5 * 3; ++i) img.pixels.push_back(static_cast<uint8_t>(i * 37));
  auto bytes = encode_png(img);
  ASSERT_TRUE(bytes.is_ok());
  auto back = decode_memory({reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()}, {});
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->pixels, img.pixels);
}

struct FixedPlanner : detail::RegionPlanner {
  detail::Rect r;
  detail::Rect plan(int w, int h) override { return {r.x0, r.y0, std::min(r.x1, w), std::min(r.y1, h)}; }
};

TEST(ImageDecode, JpegRegionDecodeEqualsFullDecode) {
  REQUIRE_DATA();
  auto rows = test::read_reference_table();
  detail::JpegDecoder dec;
  int checked = 0;
  for (const test::RefRow& r : rows) {
    if (r.mode == "ERROR") continue;
    auto data = read_file(data_dir() + "/" + r.source);
    ASSERT_TRUE(data.is_ok());
    std::span<const uint8_t> b(reinterpret_cast<const uint8_t*>(data->data()), data->size());
    if (detect_format(b) != ImageFormat::kJpeg) continue;
    detail::DecodedRegion full, part;
    ASSERT_TRUE(dec.decode(b, {}, nullptr, full).is_ok()) << r.source;
    const int w = full.full_width, h = full.full_height;
    FixedPlanner p;
    p.r = {w / 6, h / 7, w - w / 5, h - h / 9};
    ASSERT_TRUE(dec.decode(b, {}, &p, part).is_ok()) << r.source;
    ASSERT_EQ(part.x0, p.r.x0);
    ASSERT_EQ(part.image.width, p.r.x1 - p.r.x0);
    for (int y = 0; y < part.image.height; ++y)
      ASSERT_EQ(0, std::memcmp(part.image.row(y), full.image.row(y + part.y0) + static_cast<size_t>(part.x0) * 3,
                               static_cast<size_t>(part.image.width) * 3))
          << r.source << " row " << y + part.y0;
    ++checked;
  }
  EXPECT_GT(checked, 250);
}

}  // namespace
}  // namespace inr::image
