#include "serve/batcher.h"

#include <cstring>

namespace inr::serving {

Batcher::Batcher(Session& session, BatcherOptions options, std::function<void(int64_t, double)> on_batch)
    : session_(session), options_(options), on_batch_(std::move(on_batch)) {
  worker_ = std::thread([this] { run(); });
}

Batcher::~Batcher() { stop(); }

bool Batcher::submit(Tensor input, BatchDone done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queue || input.dim(0) > options_.max_batch) return false;
    queued_rows_ += input.dim(0);
    queue_.push_back(Job{std::move(input), std::move(done), Clock::now()});
  }
  cv_.notify_one();
  return true;
}

size_t Batcher::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Batcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Batcher::run() {
  std::vector<Job> jobs;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // Wait for more rows until the oldest request's delay runs out. When stopping, run what is there.
      const auto deadline = queue_.front().enqueued + options_.max_delay;
      cv_.wait_until(lock, deadline, [&] { return stopping_ || queued_rows_ >= options_.max_batch; });
      int64_t rows = 0;
      while (!queue_.empty() && rows + queue_.front().input.dim(0) <= options_.max_batch) {
        rows += queue_.front().input.dim(0);
        queued_rows_ -= queue_.front().input.dim(0);
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (jobs.empty()) {  // a request larger than max_batch (submit() refuses those; never wait on one)
        queued_rows_ -= queue_.front().input.dim(0);
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
        lock.unlock();
        jobs[0].done(error("{} rows exceed the batch limit of {}", jobs[0].input.dim(0), options_.max_batch));
        jobs.clear();
        continue;
      }
    }
    run_batch(jobs);
    jobs.clear();
  }
}

void Batcher::run_batch(std::vector<Job>& jobs) {
  // Requests that waited past the time limit are answered with an error and left out of the batch.
  const auto now = Clock::now();
  std::vector<Job> live;
  for (Job& j : jobs) {
    if (now - j.enqueued > options_.timeout) {
      j.done(error("the request waited {} ms in the queue, more than the server's limit of {} ms",
                   std::chrono::duration_cast<std::chrono::milliseconds>(now - j.enqueued).count(),
                   options_.timeout.count()));
    } else {
      live.push_back(std::move(j));
    }
  }
  if (live.empty()) return;

  int64_t rows = 0;
  for (const Job& j : live) rows += j.input.dim(0);
  const int64_t run_rows = options_.fixed_batch > 0 ? options_.fixed_batch : rows;
  Tensor input;
  if (live.size() == 1 && run_rows == rows) {
    input = live[0].input;
  } else {
    Shape shape = live[0].input.shape();
    shape[0] = run_rows;
    input = Tensor::zeros(live[0].input.dtype(), shape);
    size_t offset = 0;
    for (const Job& j : live) {
      std::memcpy(static_cast<uint8_t*>(input.raw()) + offset, j.input.raw(), j.input.bytes());
      offset += j.input.bytes();
    }
  }
  const auto start = Clock::now();
  auto outputs = session_.run(std::span<const Tensor>(&input, 1));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (on_batch_) on_batch_(rows, seconds);
  if (!outputs) {
    for (Job& j : live) j.done(outputs.status());
    return;
  }
  // Every output must carry the batch as its leading dim to be split back into requests.
  for (const Tensor& t : *outputs) {
    if (t.rank() == 0 || t.dim(0) != run_rows) {
      for (Job& j : live)
        j.done(error("output of shape {} has no leading batch dim of {}", shape_str(t.shape()), run_rows));
      return;
    }
  }
  int64_t first = 0;
  for (Job& j : live) {
    const int64_t n = j.input.dim(0);
    std::vector<Tensor> mine;
    for (const Tensor& t : *outputs) {
      Shape s = t.shape();
      s[0] = n;
      Tensor part = Tensor::empty(t.dtype(), s);
      const size_t row_bytes = t.bytes() / static_cast<size_t>(run_rows);
      std::memcpy(part.raw(), static_cast<const uint8_t*>(t.raw()) + row_bytes * static_cast<size_t>(first),
                  part.bytes());
      mine.push_back(std::move(part));
    }
    first += n;
    j.done(std::move(mine));
  }
}

}  // namespace inr::serving
