// Server metrics in the Prometheus text exposition format (version 0.0.4): what `GET /metrics` returns.
//
// Families (one series per model, label model="name" or "name/version" for non-default versions):
//   inr_requests_total{model,code}            counter: HTTP requests answered, by status code
//   inr_request_duration_seconds{model}       histogram: request read -> response written
//   inr_inference_batch_size{model}           histogram: rows per batch the batcher ran
//   inr_inference_duration_seconds{model}     histogram: Session::run time per batch
//   inr_queue_depth{model}                    gauge: requests waiting in the batcher's queue now
// Requests that name no model (health, metadata of the server, unknown paths) count under model="".
// Thread safety: every method may be called from any thread (one mutex; updates are a few adds).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace inr::serving {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)), counts_(bounds_.size()) {}
  void observe(double v);
  // Lines "<name>_bucket{<labels>,le="..."} n", _sum and _count.
  void write(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative; write() accumulates)
  uint64_t count_ = 0;
  double sum_ = 0;
};

class Metrics {
 public:
  void request(const std::string& model, int code, double seconds);
  void batch(const std::string& model, int64_t rows, double seconds);
  // Queue depth is read when /metrics is rendered: each model registers a function returning it.
  void add_queue_gauge(const std::string& model, std::function<size_t()> depth);

  std::string render() const;
  // Requests answered with `code` over every model (tests and the shutdown message).
  uint64_t requests(int code) const;

 private:
  struct PerModel {
    std::map<int, uint64_t> codes;
    Histogram latency{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
    Histogram batch_size{{1, 2, 4, 8, 16, 32, 64, 128}};
    Histogram batch_seconds{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  };
  mutable std::mutex mu_;
  std::map<std::string, PerModel> models_;
  std::vector<std::pair<std::string, std::function<size_t()>>> queues_;
};

}  // namespace inr::serving
