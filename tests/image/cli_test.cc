// `inr preprocess`: .png and .npy outputs, overrides, and the error protocol (one line, exit 1, no file).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/npy.h"
#include "image/preprocess.h"
#include "image_test_util.h"

namespace inr::image {
namespace {

using inr::test::data_dir;
using inr::test::has_data;
using inr::test::run_cli;

#define REQUIRE_DATA() \
  if (!has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)"

TEST(CliPreprocess, WritesPngCropEqualToReference) {
  REQUIRE_DATA();
  const std::string out = inr::test::temp_dir("cli_png") + "/x.png";
  auto r = run_cli("preprocess -i " + data_dir() + "/images/grace_hopper.jpg -p torchvision -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto mine = decode_file(out);
  auto ref = decode_file(data_dir() + "/reference/preproc_torchvision/images__grace_hopper.png");
  ASSERT_TRUE(mine.is_ok() && ref.is_ok());
  EXPECT_EQ(mine->pixels, ref->pixels);
}

TEST(CliPreprocess, WritesNpyTensorAndHonoursOverrides) {
  REQUIRE_DATA();
  const std::string dir = inr::test::temp_dir("cli_npy");
  const std::string img = data_dir() + "/images/dog.jpg";
  auto r = run_cli("preprocess -i " + img + " -o " + dir + "/a.npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto t = read_npy(dir + "/a.npy");
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  ASSERT_EQ(t->shape(), (Shape{1, 3, 224, 224}));
  std::vector<float> direct(3 * 224 * 224);
  ASSERT_TRUE(preprocess_file(img, preset_spec("torchvision").value(), {}, direct.data()).is_ok());
  EXPECT_EQ(0, std::memcmp(direct.data(), t->raw(), t->bytes()));

  r = run_cli("preprocess -i " + img + " -o " + dir + "/b.npy --resize 300 --crop 256x200 --bgr --interp bicubic "
              "--mean 0.5 --std 0.25,0.5,1 --layout nhwc");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto b = read_npy(dir + "/b.npy");
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->shape(), (Shape{1, 200, 256, 3}));
  PreprocessSpec s = preset_spec("torchvision").value();
  s.resize_shorter = 300;
  s.crop_width = 256;
  s.crop_height = 200;
  s.bgr = true;
  s.interp = Kernel::kPilBicubic;
  s.mean = {0.5, 0.5, 0.5};
  s.std = {0.25, 0.5, 1};
  s.layout = Layout::kNHWC;
  std::vector<float> expect(3 * 200 * 256);
  ASSERT_TRUE(preprocess_file(img, s, {}, expect.data()).is_ok());
  EXPECT_EQ(0, std::memcmp(expect.data(), b->raw(), b->bytes()));
}

TEST(CliPreprocess, BrokenImageGivesOneLineErrorAndNoFile) {
  REQUIRE_DATA();
  const std::string dir = inr::test::temp_dir("cli_err");
  for (const char* f : {"truncated.jpg", "corrupt_crc.png", "zero_bytes.jpg", "not_an_image.jpg"}) {
    for (const char* ext : {".png", ".npy"}) {
      const std::string out = dir + "/out" + ext;
      auto r = run_cli("preprocess -i " + data_dir() + "/images/edge/" + f + " -o " + out);
      EXPECT_EQ(r.exit_code, 1) << f;
      EXPECT_EQ(inr::test::count_lines(r.err), 1) << r.err;
      EXPECT_EQ(r.err.rfind("inr: error: ", 0), 0u) << r.err;
      EXPECT_NE(r.err.find(f), std::string::npos) << r.err;
      EXPECT_FALSE(std::filesystem::exists(out)) << out;
      EXPECT_TRUE(std::filesystem::is_empty(dir)) << "temp file left behind";
    }
  }
  auto r = run_cli("preprocess -i " + data_dir() + "/images/dog.jpg -p nope -o " + dir + "/x.png");
  EXPECT_EQ(r.exit_code, 2);  // a command-line mistake (README): exit 2, from the parse
  EXPECT_EQ(r.err.rfind("inr: error: unknown preprocessing preset 'nope'", 0), 0u) << r.err;
  r = run_cli("preprocess -i " + data_dir() + "/images/dog.jpg --max-pixels 100000 -o " + dir + "/x.png");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("above the limit"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace inr::image
