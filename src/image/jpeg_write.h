// Encoding 8-bit RGB images as baseline JPEG (TurboJPEG), e.g. the thumbnails `inr report` inlines.
// Lossy; 4:2:0 chroma subsampling. Thread-safe (one TurboJPEG handle per call).
#pragma once

#include <string>

#include "image/image.h"
#include "inr/status.h"

namespace inr::image {

// `quality` 1..100 (libjpeg's scale).
Result<std::string> encode_jpeg(const Image& img, int quality);

}  // namespace inr::image
