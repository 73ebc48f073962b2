// Writing 8-bit RGB images as PNG (libpng), e.g. the crop `inr preprocess -o x.png` produces.
// Lossless; written through AtomicFile so an error never leaves a partial file. Thread-safe.
#pragma once

#include <string>

#include "image/image.h"
#include "inr/status.h"

namespace inr::image {

Result<std::string> encode_png(const Image& img);
Status write_png(const std::string& path, const Image& img);

}  // namespace inr::image
