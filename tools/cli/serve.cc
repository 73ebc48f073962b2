// `inr serve --model-repository DIR [--http-port 8080] [--host 127.0.0.1] [--max-batch N --max-delay-ms D]
//            [--max-queue N] [--max-body-mb N] [--request-timeout-ms N] [--http-threads N] [--port-file F]
//            [--threads N] [-x BACKEND] [-O LEVEL] [-p PRESET ...]`
//
// An Open Inference Protocol v2 (KServe v2 / Triton) HTTP server over a Triton-layout model repository,
// with dynamic batching, the binary tensor and classification extensions, image (BYTES) inputs and
// Prometheus /metrics (include/inr/serve.h). Runs until SIGTERM or SIGINT, then drains and exits 0.
#include <cstdio>

#include "cli_errors.h"
#include "command.h"
#include "inr/serve.h"
#include "preprocess_flags.h"
#include "session_flags.h"

namespace inr::cli {

Command make_serve_command(CLI::App& parent) {
  struct Flags {
    ServeOptions serve;
    SessionFlags session;
    double max_body_mb = 64;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("serve", "Serve a model repository over HTTP (Open Inference Protocol v2, KServe/Triton)");
  ServeOptions& s = f->serve;
  c.app->add_option("--model-repository", s.model_repository, "Triton layout: DIR/<name>/<version>/model.onnx")
      ->required();
  c.app->add_option("--http-port", s.http_port, "Port to listen on (0: any free port; see --port-file)")
      ->check(in_range(0, 65535));
  c.app->add_option("--host", s.host, "Address to listen on (0.0.0.0: every interface)");
  c.app->add_option("--max-batch", s.max_batch, "Dynamic batching: images per inference, at most")->check(at_least(1));
  c.app->add_option("--max-delay-ms", s.max_delay_ms,
                    "Dynamic batching: how long the oldest queued request waits for more (ms)")
      ->check(in_range(0, 60000));
  c.app->add_option("--max-queue", s.max_queue, "Requests queued per model; more are answered 503")->check(at_least(1));
  c.app->add_option("--max-body-mb", f->max_body_mb, "Largest request body (MiB); larger ones are answered 413")
      ->check(in_range(0.001, 4096));
  c.app->add_option("--request-timeout-ms", s.request_timeout_ms,
                    "Time to read one request, and longest wait in the queue (503 after it)")
      ->check(at_least(1));
  c.app->add_option("--drain-timeout-ms", s.drain_timeout_ms,
                    "After SIGTERM: how long in-flight requests may take before connections are closed")
      ->check(at_least(0));
  c.app->add_option("--http-threads", s.http_threads, "Threads for connections, request parsing and image decoding")
      ->check(in_range(1, 256));
  c.app->add_option("--port-file", s.port_file, "Write the port to this file once listening");
  add_session_flags(c.app, f->session, /*model_required=*/false);
  // The models come from the repository, and a trace or a saved model of a server has no single model.
  for (const char* name : {"--model", "--trace", "--save-model"}) c.app->remove_option(c.app->get_option(name));
  add_preprocess_flags(c.app, s.preprocess);
  c.run = [f] {
    Status st = apply_session_flags(f->session);
    if (!st) return fail(st);
    ServeOptions o = f->serve;
    o.session = session_options(f->session);
    o.max_body_bytes = static_cast<int64_t>(f->max_body_mb * 1024 * 1024);
    o.log = [](const std::string& line) {
      std::fprintf(stderr, "inr serve: %s\n", line.c_str());
      std::fflush(stderr);
    };
    st = serve(o);
    if (!st) return fail(st);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
