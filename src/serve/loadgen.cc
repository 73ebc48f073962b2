// inr::loadgen (include/inr/loadgen.h): the scenarios over a "system under test" that runs one query
// synchronously; concurrency comes from worker threads, each with its own connection (URL) or sharing the
// Session (local; a Session runs one inference at a time, so local queries are serialised).
#include "inr/loadgen.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "core/stats.h"
#include "drivers/latency.h"
#include "drivers/provenance.h"
#include "serve/http_client.h"
#include "serve/oip.h"

namespace inr {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Runs one query of `rows` samples starting at sample `first`; thread-safe.
class Sut {
 public:
  virtual ~Sut() = default;
  virtual Status query(int64_t first, int rows) = 0;
  virtual json describe() const = 0;
};

// Builds `count` samples of the input's per-row shape; query(first, rows) uses samples first.. (mod count).
struct Samples {
  IoInfo input;
  std::vector<Tensor> rows;  // each [1, ...]
  Tensor batch(int64_t first, int n) const {
    Shape s = rows[0].shape();
    s[0] = n;
    Tensor t = Tensor::empty(rows[0].dtype(), s);
    const size_t per = rows[0].bytes();
    for (int i = 0; i < n; ++i)
      std::memcpy(static_cast<uint8_t*>(t.raw()) + per * static_cast<size_t>(i),
                  rows[static_cast<size_t>((first + i) % static_cast<int64_t>(rows.size()))].raw(), per);
    return t;
  }
};

Result<Samples> make_samples(const IoInfo& input, int count, uint64_t seed) {
  Samples s;
  s.input = input;
  Shape shape = input.shape;
  if (shape.empty()) return error("input '{}' has no batch dim", input.name);
  shape[0] = 1;
  for (int64_t d : shape)
    if (d < 0) return error("input '{}' is {}: only the batch dim may be dynamic", input.name, shape_str(input.shape));
  for (int i = 0; i < count; ++i) s.rows.push_back(random_input(input, shape, static_cast<uint32_t>(seed + static_cast<uint64_t>(i))));
  return s;
}

class LocalSut : public Sut {
 public:
  static Result<std::unique_ptr<LocalSut>> open(const LoadgenOptions& o) {
    auto sut = std::make_unique<LocalSut>();
    INR_ASSIGN_OR_RETURN(sut->session_, Session::load(o.model, o.session));
    if (sut->session_->inputs().size() != 1) return error("{}: loadgen takes models with one input", o.model);
    INR_ASSIGN_OR_RETURN(sut->samples_, make_samples(sut->session_->inputs()[0], o.sample_count, o.seed));
    INR_ASSIGN_OR_RETURN(sut->model_, model_json(o.model));
    return sut;
  }
  Status query(int64_t first, int rows) override {
    Tensor in = samples_.batch(first, rows);
    auto out = session_->run(std::span<const Tensor>(&in, 1));
    return out.status();
  }
  // Compiles the shapes the run uses, so no compile time is measured.
  Status warm(std::initializer_list<int> rows) {
    for (int r : rows) INR_TRY(query(0, r));
    return Status::ok();
  }
  json describe() const override { return {{"model", model_}}; }

 private:
  std::unique_ptr<Session> session_;
  Samples samples_;
  json model_;
};

class HttpSut : public Sut {
 public:
  static Result<std::unique_ptr<HttpSut>> open(const LoadgenOptions& o) {
    auto sut = std::make_unique<HttpSut>();
    sut->url_ = o.url;
    INR_ASSIGN_OR_RETURN(sut->parsed_, serving::parse_url(o.url));
    serving::HttpClient client(sut->parsed_.host, sut->parsed_.port);
    INR_ASSIGN_OR_RETURN(serving::HttpResponse meta, client.request("GET", sut->parsed_.target, ""));
    if (meta.status != 200) return error("GET {}: HTTP {}: {}", o.url, meta.status, meta.body);
    json j = json::parse(meta.body, nullptr, false);
    if (j.is_discarded() || !j.contains("inputs") || j["inputs"].size() != 1 || !j.contains("outputs") || j["outputs"].empty())
      return error("GET {}: not the metadata of a model with one input", o.url);
    IoInfo in;
    in.name = j["inputs"][0].value("name", "");
    in.dtype = serving::dtype_from_oip(j["inputs"][0].value("datatype", ""));
    if (in.dtype == DType::kUndefined) return error("GET {}: input datatype '{}' cannot be sent", o.url, j["inputs"][0].value("datatype", ""));
    in.shape = j["inputs"][0]["shape"].get<Shape>();
    sut->output_ = j["outputs"][0].value("name", "");
    sut->classify_ = j["outputs"][0].value("datatype", "") == "FP32";
    INR_ASSIGN_OR_RETURN(sut->samples_, make_samples(in, o.sample_count, o.seed));
    sut->meta_ = j;
    return sut;
  }
  Status query(int64_t first, int rows) override {
    thread_local std::unique_ptr<serving::HttpClient> client;
    thread_local const HttpSut* owner = nullptr;
    if (!client || owner != this) {
      client = std::make_unique<serving::HttpClient>(parsed_.host, parsed_.port);
      owner = this;
    }
    Tensor t = samples_.batch(first, rows);
    json out = {{"name", output_}};
    if (classify_) out["parameters"] = {{"classification", 5}};
    json header = {{"inputs", json::array({json{{"name", samples_.input.name},
                                                 {"datatype", std::string(serving::oip_datatype(t.dtype()))},
                                                 {"shape", t.shape()},
                                                 {"parameters", {{"binary_data_size", t.bytes()}}}}})},
                   {"outputs", json::array({out})}};
    std::string body = header.dump();
    const size_t json_length = body.size();
    body.append(static_cast<const char*>(t.raw()), t.bytes());
    INR_ASSIGN_OR_RETURN(serving::HttpResponse r,
                         client->request("POST", parsed_.target + "/infer", body,
                                         {{"Inference-Header-Content-Length", std::to_string(json_length)},
                                          {"Content-Type", "application/octet-stream"}}));
    if (r.status != 200) return error("HTTP {}: {}", r.status, r.body.substr(0, 300));
    return Status::ok();
  }
  json describe() const override { return {{"url", url_}, {"metadata", meta_}}; }

 private:
  std::string url_;
  serving::Url parsed_;
  Samples samples_;
  std::string output_;
  bool classify_ = false;
  json meta_;
};

json latency_json(const SampleStats& s) {
  return {{"mean", s.mean}, {"min", s.min}, {"p50", s.p50}, {"p90", s.p90}, {"p95", s.p95},
          {"p99", s.p99},   {"p99.9", s.p999}, {"max", s.max}};
}

double ms_since(Clock::time_point t0, Clock::time_point t1) { return std::chrono::duration<double, std::milli>(t1 - t0).count(); }

// The first error of any worker, kept once.
struct FirstError {
  std::mutex mu;
  Status status;
  std::atomic<bool> failed{false};
  void set(const Status& s) {
    std::lock_guard lock(mu);
    if (!failed) status = s;
    failed = true;
  }
};

Result<json> single_stream(Sut& sut, const LoadgenOptions& o) {
  std::vector<double> lat;
  const auto t0 = Clock::now();
  int64_t i = 0;
  for (;; ++i) {
    const double elapsed = ms_since(t0, Clock::now()) / 1000;
    if (i >= o.min_queries && elapsed >= o.min_duration_s) break;
    const auto q0 = Clock::now();
    INR_TRY(sut.query(i, 1));
    lat.push_back(ms_since(q0, Clock::now()));
  }
  const double seconds = ms_since(t0, Clock::now()) / 1000;
  SampleStats s = sample_stats(lat);
  json r = {{"queries", i}, {"samples", i}, {"duration_s", seconds}, {"qps", static_cast<double>(i) / seconds},
            {"samples_per_s", static_cast<double>(i) / seconds}, {"latency_ms", latency_json(s)}, {"percentile", 90}};
  r["bound_ms"] = o.latency_bound_ms;
  r["bound_held"] = o.latency_bound_ms > 0 ? json(s.p90 <= o.latency_bound_ms) : json(nullptr);
  r["valid"] = o.latency_bound_ms > 0 ? s.p90 <= o.latency_bound_ms : true;
  return r;
}

Result<json> offline(Sut& sut, const LoadgenOptions& o) {
  const int64_t n = o.offline_samples;
  const int64_t queries = (n + o.batch - 1) / o.batch;
  std::atomic<int64_t> next{0};
  std::vector<double> lat(static_cast<size_t>(queries));
  FirstError err;
  const auto t0 = Clock::now();
  auto worker = [&] {
    for (int64_t q; (q = next++) < queries && !err.failed;) {
      const int rows = static_cast<int>(std::min<int64_t>(o.batch, n - q * o.batch));
      const auto q0 = Clock::now();
      Status st = sut.query(q * o.batch, rows);
      if (!st) return err.set(st);
      lat[static_cast<size_t>(q)] = ms_since(q0, Clock::now());
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, o.concurrency); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (err.failed) return err.status;
  const double seconds = ms_since(t0, Clock::now()) / 1000;
  return json{{"queries", queries}, {"samples", n}, {"duration_s", seconds},
              {"samples_per_s", static_cast<double>(n) / seconds}, {"latency_ms", latency_json(sample_stats(lat))},
              {"bound_ms", nullptr}, {"bound_held", nullptr}, {"valid", true}};
}

Result<json> server(Sut& sut, const LoadgenOptions& o) {
  // Arrival schedule: exponential gaps with mean 1/qps, until both minimums are covered.
  std::mt19937_64 rng(o.seed);
  std::exponential_distribution<double> gap(o.target_qps);
  std::vector<double> arrivals;  // seconds from the start
  for (double t = 0; static_cast<int64_t>(arrivals.size()) < o.min_queries || t < o.min_duration_s;) {
    t += gap(rng);
    arrivals.push_back(t);
  }
  const int64_t n = static_cast<int64_t>(arrivals.size());
  std::vector<double> lat(static_cast<size_t>(n));
  std::mutex mu;
  std::condition_variable cv;
  std::deque<int64_t> ready;
  bool done = false;
  FirstError err;
  std::atomic<int64_t> max_queue{0};
  Clock::time_point last_completion;
  const auto t0 = Clock::now() + std::chrono::milliseconds(20);
  auto due = [&](int64_t i) { return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(arrivals[static_cast<size_t>(i)])); };
  auto worker = [&] {
    for (;;) {
      int64_t i;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return done || !ready.empty(); });
        if (ready.empty()) return;
        i = ready.front();
        ready.pop_front();
      }
      if (err.failed) continue;
      Status st = sut.query(i, 1);
      const auto end = Clock::now();
      if (!st) {
        err.set(st);
        continue;
      }
      lat[static_cast<size_t>(i)] = ms_since(due(i), end);  // from the scheduled arrival
      std::lock_guard lock(mu);
      last_completion = std::max(last_completion, end);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, o.concurrency); ++t) threads.emplace_back(worker);
  for (int64_t i = 0; i < n && !err.failed; ++i) {
    std::this_thread::sleep_until(due(i));
    {
      std::lock_guard lock(mu);
      ready.push_back(i);
      max_queue = std::max<int64_t>(max_queue, static_cast<int64_t>(ready.size()));
    }
    cv.notify_one();
  }
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  if (err.failed) return err.status;
  const double seconds = std::chrono::duration<double>(last_completion - t0).count();
  SampleStats s = sample_stats(lat);
  const bool held = s.p99 <= o.latency_bound_ms;
  return json{{"queries", n}, {"samples", n}, {"duration_s", seconds}, {"target_qps", o.target_qps},
              {"qps", static_cast<double>(n) / seconds}, {"samples_per_s", static_cast<double>(n) / seconds},
              {"latency_ms", latency_json(s)}, {"percentile", 99}, {"bound_ms", o.latency_bound_ms},
              {"bound_held", held}, {"valid", held}, {"max_waiting", max_queue.load()}};
}

}  // namespace

Result<json> loadgen(const LoadgenOptions& o) {
  if (o.model.empty() == o.url.empty()) return error("give one system under test: a model (-m) or a server (--url)");
  if (o.scenario != "SingleStream" && o.scenario != "Offline" && o.scenario != "Server")
    return error("unknown scenario '{}': SingleStream, Offline or Server", o.scenario);
  if (o.scenario == "Server" && !(o.latency_bound_ms > 0)) return error("the Server scenario needs a latency bound (ms)");
  if (o.scenario == "Server" && !(o.target_qps > 0)) return error("the Server scenario needs a target QPS > 0");
  if (o.sample_count < 1 || o.batch < 1 || o.concurrency < 1) return error("sample count, batch and concurrency must be >= 1");
  if (o.min_queries > kMaxLoadgenQueries || o.offline_samples > kMaxLoadgenQueries)
    return error("min queries {} / samples {}: at most {} per run", o.min_queries, o.offline_samples, kMaxLoadgenQueries);
  if (!std::isfinite(o.min_duration_s) || o.min_duration_s < 0) return error("duration {} s is not a finite number >= 0", o.min_duration_s);
  if (o.scenario == "Server") {
    if (!(o.target_qps <= kMaxLoadgenQps)) return error("target QPS {} is above loadgen's limit of {:g}", o.target_qps, kMaxLoadgenQps);
    const double scheduled = o.target_qps * o.min_duration_s;
    if (scheduled > static_cast<double>(kMaxLoadgenQueries))
      return error("{:g} QPS for {:g} s schedules about {:.0f} queries, above loadgen's limit of {} per run; lower --qps or "
                   "--duration", o.target_qps, o.min_duration_s, scheduled, kMaxLoadgenQueries);
  }
  std::unique_ptr<Sut> sut;
  if (!o.model.empty()) {
    INR_ASSIGN_OR_RETURN(auto local, LocalSut::open(o));
    INR_TRY(local->warm({1, o.scenario == "Offline" ? o.batch : 1}));
    sut = std::move(local);
  } else {
    INR_ASSIGN_OR_RETURN(auto remote, HttpSut::open(o));
    INR_TRY(remote->query(0, 1));  // a first request: connection set up, server warm
    sut = std::move(remote);
  }
  json result;
  if (o.scenario == "SingleStream") {
    INR_ASSIGN_OR_RETURN(result, single_stream(*sut, o));
  } else if (o.scenario == "Offline") {
    INR_ASSIGN_OR_RETURN(result, offline(*sut, o));
  } else {
    INR_ASSIGN_OR_RETURN(result, server(*sut, o));
  }
  result["scenario"] = o.scenario;
  json out = provenance_base("inr.loadgen", 1, o.session.threads);
  out["note"] = "LoadGen-style: scenarios written from the MLPerf Inference rules; not an MLPerf result";
  out["system"] = sut->describe();
  out["settings"] = {{"scenario", o.scenario},           {"min_duration_s", o.min_duration_s},
                     {"min_queries", o.min_queries},     {"offline_samples", o.offline_samples},
                     {"batch", o.batch},                 {"target_qps", o.target_qps},
                     {"latency_bound_ms", o.latency_bound_ms}, {"concurrency", o.concurrency},
                     {"sample_count", o.sample_count},   {"seed", o.seed}};
  out["result"] = result;
  return out;
}

}  // namespace inr
