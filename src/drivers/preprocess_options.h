// PreprocessOptions (include/inr/preprocess_options.h) -> the image layer's spec and decode options.
#pragma once

#include "image/image.h"
#include "image/preprocess.h"
#include "inr/preprocess_options.h"
#include "inr/status.h"

namespace inr {

// The preset (aliases accepted) with the overrides applied and checked (image::validate).
Result<image::PreprocessSpec> resolve_preprocess(const PreprocessOptions& options);
image::DecodeOptions decode_options(const PreprocessOptions& options);

}  // namespace inr
