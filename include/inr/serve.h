// `inr serve`: an Open Inference Protocol v2 (KServe v2 / Triton) HTTP server over a model repository, as a
// library call. Layout (Triton's): DIR/<name>/<version>/model.onnx, version a positive integer; every
// version is loaded, and a request without a version goes to the highest. An optional DIR/<name>/inr.json
// {"preset": "caffe2", "labels": "labels.txt"} sets the preprocessing of image (BYTES) inputs and the class
// names of the classification extension (paths relative to DIR/<name>; defaults: the server's preset and
// the built-in ImageNet classes for 1000/1001-class outputs).
//
// Endpoints: GET /v2/health/live, /v2/health/ready, /v2, /v2/models/NAME[/versions/V],
// /v2/models/NAME[/versions/V]/ready, POST /v2/models/NAME[/versions/V]/infer (JSON, binary tensor and
// classification extensions: src/serve/oip.h), GET /metrics (Prometheus text: src/serve/metrics.h).
// Errors are {"error": "..."}: 400 bad request, 404 unknown model or path, 405 wrong method, 413 body over
// the limit, 503 queue full, request timed out in the queue, or shutting down.
//
// serve() loads and warms up every model (each batch size up to max_batch runs once), listens, and returns
// after SIGTERM or SIGINT: it stops accepting, answers every request already read, closes idle
// connections, and returns OK (or an error for a problem at start-up: no models, port in use, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "inr/preprocess_options.h"
#include "inr/session.h"
#include "inr/status.h"

namespace inr {

struct ServeOptions {
  std::string model_repository;
  std::string host = "127.0.0.1";
  int http_port = 8080;  // 0: any free port (see port_file)
  int http_threads = 2;  // connection I/O, request parsing and image decoding
  int max_batch = 1;     // rows per inference (dynamic batching when > 1); a fixed-batch model uses its own
  double max_delay_ms = 0;  // how long the oldest queued request waits for more before its batch runs
  int max_queue = 256;      // requests queued per model version; more are refused with 503
  int64_t max_body_bytes = int64_t{64} << 20;  // larger request bodies are refused with 413
  int request_timeout_ms = 30000;  // reading one request, and waiting in the queue; also the idle keep-alive
  int drain_timeout_ms = 30000;    // after SIGTERM, how long in-flight requests may take before exiting anyway
  SessionOptions session;          // one Session per model version; threads = the OpenMP pool they share
  PreprocessOptions preprocess;    // image inputs of models without an inr.json preset
  std::string port_file;           // when set: the bound port is written there (atomically) once listening
  std::function<void(const std::string&)> log;  // one line per event (start, listening, shutdown); may be empty
};

Status serve(const ServeOptions& options);

}  // namespace inr
