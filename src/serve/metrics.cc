#include "serve/metrics.h"

#include <algorithm>

#include <fmt/format.h>

namespace inr::serving {

namespace {

// Label values escape backslash, double quote and newline (exposition format).
std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

void Histogram::observe(double v) {
  ++count_;
  sum_ += v;
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);  // first bound >= v: le is inclusive
  if (it != bounds_.end()) ++counts_[static_cast<size_t>(it - bounds_.begin())];
}

void Histogram::write(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, number(bounds_[i]), cumulative);
  }
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count_);
  out += fmt::format("{}_sum{{{}}} {}\n", name, labels, number(sum_));
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, count_);
}

void Metrics::request(const std::string& model, int code, double seconds) {
  std::lock_guard lock(mu_);
  PerModel& m = models_[model];
  ++m.codes[code];
  m.latency.observe(seconds);
}

void Metrics::batch(const std::string& model, int64_t rows, double seconds) {
  std::lock_guard lock(mu_);
  PerModel& m = models_[model];
  m.batch_size.observe(static_cast<double>(rows));
  m.batch_seconds.observe(seconds);
}

void Metrics::add_queue_gauge(const std::string& model, std::function<size_t()> depth) {
  std::lock_guard lock(mu_);
  queues_.emplace_back(model, std::move(depth));
  models_[model];
}

uint64_t Metrics::requests(int code) const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& [name, m] : models_) {
    auto it = m.codes.find(code);
    if (it != m.codes.end()) n += it->second;
  }
  return n;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP inr_requests_total HTTP requests answered, by model and status code.\n";
  out += "# TYPE inr_requests_total counter\n";
  for (const auto& [name, m] : models_)
    for (const auto& [code, n] : m.codes)
      out += fmt::format("inr_requests_total{{model=\"{}\",code=\"{}\"}} {}\n", label_value(name), code, n);
  out += "# HELP inr_request_duration_seconds Time from a request read to its response handed to the socket.\n";
  out += "# TYPE inr_request_duration_seconds histogram\n";
  for (const auto& [name, m] : models_)
    m.latency.write(out, "inr_request_duration_seconds", fmt::format("model=\"{}\"", label_value(name)));
  out += "# HELP inr_inference_batch_size Rows (images) in each batch the dynamic batcher ran.\n";
  out += "# TYPE inr_inference_batch_size histogram\n";
  for (const auto& [name, m] : models_)
    if (!name.empty()) m.batch_size.write(out, "inr_inference_batch_size", fmt::format("model=\"{}\"", label_value(name)));
  out += "# HELP inr_inference_duration_seconds Session run time of each batch.\n";
  out += "# TYPE inr_inference_duration_seconds histogram\n";
  for (const auto& [name, m] : models_)
    if (!name.empty())
      m.batch_seconds.write(out, "inr_inference_duration_seconds", fmt::format("model=\"{}\"", label_value(name)));
  out += "# HELP inr_queue_depth Inference requests waiting in the model's batcher queue.\n";
  out += "# TYPE inr_queue_depth gauge\n";
  for (const auto& [name, depth] : queues_)
    out += fmt::format("inr_queue_depth{{model=\"{}\"}} {}\n", label_value(name), depth());
  return out;
}

}  // namespace inr::serving
