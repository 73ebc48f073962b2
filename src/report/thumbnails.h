// Internal to the report layer: small JPEG thumbnails of dataset images, as data URIs.
#pragma once

#include <string>
#include <vector>

#include "inr/status.h"

namespace inr::report {

// The file of a dataset key: the first of `roots` under which it exists (a root that is a list file
// stands for its folder, as data/dataset.h reads list files), else the key itself when it exists; "" when
// none.
std::string find_image(const std::string& key, const std::vector<std::string>& roots);

// The image decoded with inr's decoders, its shorter side resized to `px` (Pillow-exact bilinear with
// antialiasing), the center px x px square cropped, encoded as JPEG at `quality`: "data:image/jpeg;base64,...".
Result<std::string> thumbnail_data_uri(const std::string& path, int px, int quality);

}  // namespace inr::report
