// Thumbnails reuse the preprocessing pipeline's own decode + resize + center crop (the 8-bit crop that
// `inr preprocess -o` writes), so a flipped image looks like what the model was shown, only smaller.
#include "report/thumbnails.h"

#include <filesystem>

#include "image/jpeg_write.h"
#include "image/preprocess.h"
#include "report/html.h"

namespace inr::report {

namespace fs = std::filesystem;

std::string find_image(const std::string& key, const std::vector<std::string>& roots) {
  std::error_code ec;
  for (const std::string& r : roots) {
    if (r.empty()) continue;
    fs::path base = fs::is_regular_file(r, ec) ? fs::path(r).parent_path() : fs::path(r);
    fs::path candidate = base / key;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  if (fs::is_regular_file(key, ec)) return key;
  return "";
}

Result<std::string> thumbnail_data_uri(const std::string& path, int px, int quality) {
  image::PreprocessSpec spec;
  spec.resize_mode = image::ResizeMode::kShorterSide;
  spec.resize_shorter = px;
  spec.crop_width = spec.crop_height = px;
  spec.interp = image::Kernel::kPilBilinear;
  spec.output = image::OutputType::kU8;
  INR_ASSIGN_OR_RETURN(image::Image crop, image::preprocess_crop_file(path, spec, image::DecodeOptions{}));
  INR_ASSIGN_OR_RETURN(std::string jpeg, image::encode_jpeg(crop, quality));
  return data_uri("image/jpeg", jpeg);
}

}  // namespace inr::report
