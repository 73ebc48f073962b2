// BatchLoader's pool: N persistent workers, each with its own Preprocessor (buffers, coefficient tables,
// JPEG decoder). A batch is a shared atomic index; workers take the next image until none is left.
#include "image/batch_loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace inr::image {

struct BatchLoader::Pool {
  std::vector<std::unique_ptr<Preprocessor>> workers;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable start_cv, done_cv;
  uint64_t generation = 0;
  bool stop = false;
  int active = 0;
  // The current batch.
  std::span<const std::string> paths;
  uint8_t* dst = nullptr;
  size_t image_bytes = 0;
  std::atomic<size_t> next{0};
  std::vector<BatchFailure>* failures = nullptr;
  std::mutex failures_mu;

  void work(Preprocessor& p) {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= paths.size()) return;
      uint8_t* slot = dst + i * image_bytes;
      Status s = p.run_file(paths[i], slot, image_bytes);
      if (!s) {
        std::memset(slot, 0, image_bytes);
        std::lock_guard<std::mutex> lock(failures_mu);
        failures->push_back({i, paths[i], s.message()});
      }
    }
  }

  void loop(size_t w) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        start_cv.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
      }
      work(*workers[w]);
      std::lock_guard<std::mutex> lock(mu);
      if (--active == 0) done_cv.notify_all();
    }
  }
};

BatchLoader::BatchLoader(PreprocessSpec spec, DecodeOptions options, int threads)
    : pool_(std::make_unique<Pool>()), spec_(spec) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) pool_->workers.push_back(std::make_unique<Preprocessor>(spec, options));
  // Worker 0 is the calling thread; the others are pool threads.
  for (int i = 1; i < threads; ++i) pool_->threads.emplace_back([this, i] { pool_->loop(static_cast<size_t>(i)); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(pool_->mu);
    pool_->stop = true;
  }
  pool_->start_cv.notify_all();
  for (std::thread& t : pool_->threads) t.join();
}

int BatchLoader::threads() const { return static_cast<int>(pool_->workers.size()); }

Shape BatchLoader::image_shape() const { return output_shape(spec_); }

Shape BatchLoader::batch_shape(size_t n) const {
  Shape s = image_shape();
  s.insert(s.begin(), static_cast<int64_t>(n));
  return s;
}

Status BatchLoader::load(std::span<const std::string> paths, void* dst, size_t dst_bytes,
                         std::vector<BatchFailure>& failures) {
  failures.clear();
  const int64_t per_image = shape_numel(image_shape());
  if (per_image < 0) return error("batch loading needs a preprocessing spec with a crop size");
  const size_t image_bytes = dtype_bytes(output_dtype(spec_), per_image);
  if (dst_bytes < image_bytes * paths.size())
    return error("batch buffer is {} bytes, {} images need {}", dst_bytes, paths.size(), image_bytes * paths.size());
  Pool& p = *pool_;
  p.paths = paths;
  p.dst = static_cast<uint8_t*>(dst);
  p.image_bytes = image_bytes;
  p.next.store(0);
  p.failures = &failures;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.active = static_cast<int>(p.threads.size());
    ++p.generation;
  }
  p.start_cv.notify_all();
  p.work(*p.workers[0]);
  std::unique_lock<std::mutex> lock(p.mu);
  p.done_cv.wait(lock, [&] { return p.active == 0; });
  std::sort(failures.begin(), failures.end(),
            [](const BatchFailure& a, const BatchFailure& b) { return a.index < b.index; });
  return Status::ok();
}

Result<Tensor> BatchLoader::load(std::span<const std::string> paths, std::vector<BatchFailure>& failures) {
  const int64_t per_image = shape_numel(image_shape());
  if (per_image < 0) return error("batch loading needs a preprocessing spec with a crop size");
  Tensor t = Tensor::empty(output_dtype(spec_), batch_shape(paths.size()));
  INR_TRY(load(paths, t.raw(), t.bytes(), failures));
  return t;
}

}  // namespace inr::image
