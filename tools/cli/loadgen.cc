// `inr loadgen (-m MODEL | --url http://HOST:PORT/v2/models/NAME) --scenario SingleStream|Offline|Server
//              [--duration S] [--min-queries N] [--samples N] [--batch N] [--qps Q] [--latency-bound-ms B]
//              [--concurrency N] [--seed N] [--json]`
//
// MLPerf-Inference-style scenarios written from the public rules (include/inr/loadgen.h): SingleStream
// (p90 latency), Offline (samples/s), Server (Poisson arrivals at --qps; VALID when p99 <= the bound).
// Prints the achieved QPS and whether the bound held; --json prints the result with provenance
// (schema inr.loadgen). Exit 0 whether or not the bound held (the output says which).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "inr/loadgen.h"
#include "session_flags.h"

namespace inr::cli {

Command make_loadgen_command(CLI::App& parent) {
  struct Flags {
    LoadgenOptions o;
    SessionFlags session;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("loadgen", "MLPerf-style load scenarios (SingleStream, Offline, Server) on a model or a server");
  LoadgenOptions& o = f->o;
  add_session_flags(c.app, f->session, /*model_required=*/false);
  for (const char* name : {"--trace", "--save-model"}) c.app->remove_option(c.app->get_option(name));
  c.app->add_option("--url", o.url, "A server's model endpoint: http://HOST:PORT/v2/models/NAME[/versions/V]");
  c.app->add_option("--scenario", o.scenario, "SingleStream | Offline | Server")
      ->check(one_of({"SingleStream", "Offline", "Server"}));
  c.app->add_option("--duration", o.min_duration_s, "Run at least this many seconds (SingleStream, Server)")
      ->check(in_range(0, 86400));
  c.app->add_option("--min-queries", o.min_queries, "Run at least this many queries (SingleStream, Server)")
      ->check(in_range(1, static_cast<double>(kMaxLoadgenQueries)));
  c.app->add_option("--samples", o.offline_samples, "Offline: samples issued")->check(in_range(1, static_cast<double>(kMaxLoadgenQueries)));
  c.app->add_option("--batch", o.batch, "Offline: samples per query")->check(at_least(1));
  c.app->add_option("--qps", o.target_qps, "Server: target queries per second (Poisson arrivals)")
      ->check(in_range(0.001, kMaxLoadgenQps));
  c.app->add_option("--latency-bound-ms", o.latency_bound_ms,
                    "Server: p99 bound (required); SingleStream: p90 bound (optional)")
      ->check(at_least(0));
  auto* conc = c.app->add_option("--concurrency", o.concurrency, "Offline and Server: queries in flight at most")
                   ->check(in_range(1, 1024))
                   ->default_str("16 with --url, 1 with -m (a Session runs one inference at a time)");
  c.app->add_option("--sample-count", o.sample_count, "Distinct random samples cycled through")->check(in_range(1, 4096));
  c.app->add_option("--seed", o.seed, "Seed of the samples and of the Server arrivals");
  c.app->add_flag("--json", f->json, "Print the result as JSON (schema inr.loadgen)");
  c.run = [f, conc] {
    LoadgenOptions o = f->o;
    o.model = f->session.model;
    if (o.model.empty() == o.url.empty()) return fail(error("give a model (-m) or a server (--url), not both"));
    if (o.scenario == "Server" && !(o.latency_bound_ms > 0))
      return fail(error("--scenario Server needs --latency-bound-ms (MLPerf's ResNet50 bound is 15)"));
    if (conc->count() == 0) o.concurrency = o.url.empty() ? 1 : 16;
    Status st = apply_session_flags(f->session);
    if (!st) return fail(st);
    o.session = session_options(f->session);
    auto r = loadgen(o);
    if (!r) return fail(r.status());
    if (f->json) {
      std::printf("%s\n", r->dump(2).c_str());
      return 0;
    }
    const nlohmann::json& res = (*r)["result"];
    const nlohmann::json& l = res["latency_ms"];
    std::printf("%s (LoadGen-style, not an MLPerf result) on %s\n", o.scenario.c_str(),
                o.url.empty() ? o.model.c_str() : o.url.c_str());
    std::printf("  %ld queries, %ld samples in %.2f s: %.1f samples/s",
                static_cast<long>(res["queries"].get<int64_t>()), static_cast<long>(res["samples"].get<int64_t>()),
                res["duration_s"].get<double>(), res["samples_per_s"].get<double>());
    if (res.contains("qps")) std::printf(", %.2f QPS achieved", res["qps"].get<double>());
    if (res.contains("target_qps")) std::printf(" (target %.2f)", res["target_qps"].get<double>());
    std::printf("\n  latency ms: mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", l["mean"].get<double>(),
                l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(), l["max"].get<double>());
    if (!res["bound_held"].is_null()) {
      const int pct = res["percentile"].get<int>();
      const double v = l[pct == 90 ? "p90" : "p99"].get<double>();
      std::printf("  p%d %.3f ms %s bound %.3f ms: %s\n", pct, v, res["bound_held"].get<bool>() ? "<=" : ">",
                  res["bound_ms"].get<double>(), res["bound_held"].get<bool>() ? "held (VALID)" : "NOT held (INVALID)");
    }
    return 0;
  };
  return c;
}

}  // namespace inr::cli
