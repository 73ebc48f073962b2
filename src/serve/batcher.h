// Dynamic batcher: inference requests for one model are queued and run together, up to `max_batch` rows
// or until the oldest request has waited `max_delay` (Triton's dynamic batching, max_queue_delay).
//
// One worker thread per batcher owns the Session (a Session runs one inference at a time). It takes the
// oldest requests whose rows fit in `max_batch`, copies their rows into one [rows, ...] input, runs it and
// hands each request its rows of every output. A request is never split across batches, so a request of
// r rows needs r <= max_batch (checked by submit()).
//
// Bounded: a request that would make the queue hold more than `max_queue` requests is refused at once
// (submit() returns false: the server answers 503). A request that waited longer than `timeout` before
// its batch started is answered with an error instead of running.
//
// Shutdown: stop() lets the worker finish everything already queued (every accepted request gets its
// answer), then joins it. submit() after stop() returns false.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inr/session.h"
#include "inr/status.h"
#include "inr/tensor.h"

namespace inr::serving {

using Clock = std::chrono::steady_clock;

struct BatcherOptions {
  int max_batch = 1;                       // rows per Session run (at most)
  std::chrono::microseconds max_delay{0};  // how long the oldest request may wait for more
  size_t max_queue = 256;                  // requests waiting, at most
  std::chrono::milliseconds timeout{30000};  // a request that waited this long fails instead of running
  // Fixed-batch models: every run uses exactly this many rows (short batches are padded); 0: the rows
  // the requests bring.
  int fixed_batch = 0;
};

// Called once per request on the worker thread: the request's rows of each output, or the error. Keep it
// short (post the work elsewhere): the next batch waits for it.
using BatchDone = std::function<void(Result<std::vector<Tensor>> outputs)>;

class Batcher {
 public:
  // `on_batch(rows, seconds)` is called after each Session run (metrics); may be empty.
  Batcher(Session& session, BatcherOptions options, std::function<void(int64_t, double)> on_batch);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `input` ([rows, ...], the model input's dtype and per-row shape). False when the queue is full
  // or the batcher stopped; `done` is then never called.
  bool submit(Tensor input, BatchDone done);
  size_t depth() const;
  void stop();

 private:
  struct Job {
    Tensor input;
    BatchDone done;
    Clock::time_point enqueued;
  };
  void run();
  void run_batch(std::vector<Job>& jobs);

  Session& session_;
  BatcherOptions options_;
  std::function<void(int64_t, double)> on_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  int64_t queued_rows_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace inr::serving
