// BatchLoader: decodes and preprocesses a list of image files in parallel into one contiguous batch.
//
// Contract:
//  - Output is [N, 3, H, W] (NCHW) or [N, H, W, 3] (NHWC) of output_dtype(spec); image i occupies slot i.
//    The spec must have a crop size (a fixed per-image shape).
//  - A failed image (unreadable, corrupt, too large) does not abort the batch: its slot is zero-filled and
//    it is reported in `failures` (index, path, one-line reason); the other slots are filled normally.
//  - Threads: a small std::thread pool of its own (decode runs beside inference, which owns the OpenMP
//    pool). Each worker owns a Preprocessor whose buffers are reused across batches, so steady-state
//    loading does no per-image heap allocation beyond libjpeg/libpng internals.
//  - load() may be called repeatedly but not concurrently on one BatchLoader.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "image/preprocess.h"

namespace inr::image {

struct BatchFailure {
  size_t index = 0;
  std::string path;
  std::string message;  // one line, includes the path
};

class BatchLoader {
 public:
  // threads <= 0: std::thread::hardware_concurrency().
  BatchLoader(PreprocessSpec spec, DecodeOptions options = {}, int threads = 0);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Shape of one image and of a batch of n.
  Shape image_shape() const;
  Shape batch_shape(size_t n) const;

  // Fills `dst` (caller memory of at least dtype_bytes * numel(batch_shape(paths.size())) bytes).
  // Returns an error only for misuse (buffer too small, spec without a fixed shape); per-image failures go
  // to `failures` (cleared first).
  Status load(std::span<const std::string> paths, void* dst, size_t dst_bytes, std::vector<BatchFailure>& failures);
  // Same, allocating the batch tensor.
  Result<Tensor> load(std::span<const std::string> paths, std::vector<BatchFailure>& failures);

  int threads() const;

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
  PreprocessSpec spec_;
};

}  // namespace inr::image
