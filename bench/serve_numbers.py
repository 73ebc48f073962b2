#!/usr/bin/python3
"""The serving numbers of README "Serving": `inr serve` with dynamic batching against `inr bench` at the
same batch (and against a local Session run from a worker thread, `inr loadgen -m --scenario Offline`),
Server-scenario p99 (at half the local throughput) against the batch's compute time, and `inr loadgen` SingleStream p90 against
`inr bench` p90; alternated over rounds (the machine is shared), medians printed.

usage: bench/serve_numbers.py [--rounds 3] [--batch 8] [--delay-ms 5] [--threads 2] MODEL...
Environment: INR_CLI (default build/inr).
"""
import argparse
import json
import os
import pathlib
import signal
import statistics
import subprocess
import tempfile
import time

CLI = os.environ.get("INR_CLI", "build/inr")


def run_json(*args):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def bench(model, batch, threads, runs):
    j = run_json("bench", "-m", model, "--batch", batch, "--threads", threads, "--runs", runs, "--json")
    return j["results"][0]


def start_server(model, batch, delay_ms, threads):
    d = tempfile.mkdtemp(prefix="serve-numbers-")
    (pathlib.Path(d) / "m" / "1").mkdir(parents=True)
    (pathlib.Path(d) / "m" / "1" / "model.onnx").symlink_to(os.path.abspath(model))
    port_file = os.path.join(d, "port")
    p = subprocess.Popen([CLI, "serve", "--model-repository", d, "--http-port", "0", "--port-file", port_file,
                          "--threads", str(threads), "--http-threads", "1", "--max-batch", str(batch),
                          "--max-delay-ms", str(delay_ms), "--max-queue", "1024"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(port_file):
        assert p.poll() is None, "inr serve exited"
        time.sleep(0.1)
    return p, f"http://127.0.0.1:{int(open(port_file).read())}/v2/models/m"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--delay-ms", type=float, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=float, default=10)
    a = ap.parse_args()
    rows = {m: [] for m in a.models}
    for rnd in range(a.rounds):
        for m in a.models:
            load = os.getloadavg()[0]
            b = bench(m, a.batch, a.threads, 30)
            b1 = bench(m, 1, a.threads, 100)
            # The same batches through a Session on a worker thread, as the server's batcher runs them (on a
            # loaded 2-core machine, runs from the main thread, as in `inr bench`, measured much slower).
            local = run_json("loadgen", "-m", m, "--threads", a.threads, "--scenario", "Offline", "--samples",
                             30 * a.batch, "--batch", a.batch, "--json")["result"]
            p, url = start_server(m, a.batch, a.delay_ms, a.threads)
            try:
                off = run_json("loadgen", "--url", url, "--scenario", "Offline", "--samples", 30 * a.batch,
                               "--batch", 1, "--concurrency", 4 * a.batch, "--json")["result"]
                qps = 0.5 * local["samples_per_s"]
                srv = run_json("loadgen", "--url", url, "--scenario", "Server", "--qps", f"{qps:.3f}",
                               "--latency-bound-ms", 2 * local["latency_ms"]["p50"], "--duration", a.duration, "--min-queries", 50,
                               "--concurrency", 4 * a.batch, "--json")["result"]
            finally:
                p.send_signal(signal.SIGTERM)
                p.wait()
            ss = run_json("loadgen", "-m", m, "--threads", a.threads, "--scenario", "SingleStream", "--duration",
                          a.duration, "--min-queries", 100, "--json")["result"]
            r = {"round": rnd, "model": m, "load1": load,
                 "bench_ips": b["images_per_s_measured"], "bench_batch_p50_ms": b["p50_ms"],
                 "serve_ips": off["samples_per_s"], "serve_vs_bench": off["samples_per_s"] / b["images_per_s_measured"],
                 "local_ips": local["samples_per_s"], "local_batch_p50_ms": local["latency_ms"]["p50"],
                 "serve_vs_local": off["samples_per_s"] / local["samples_per_s"],
                 "server_qps": srv["qps"], "server_p99_ms": srv["latency_ms"]["p99"],
                 "p99_vs_batch": srv["latency_ms"]["p99"] / b["p50_ms"],
                 "p99_vs_local_batch": srv["latency_ms"]["p99"] / local["latency_ms"]["p50"],
                 "singlestream_p90_ms": ss["latency_ms"]["p90"], "bench1_p90_ms": b1["p90_ms"],
                 "p90_ratio": ss["latency_ms"]["p90"] / b1["p90_ms"]}
            rows[m].append(r)
            print(json.dumps(r), flush=True)
    for m, rs in rows.items():
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k not in ("round", "model")}
        print(f"{os.path.basename(m)}: median of {len(rs)} rounds: " +
              ", ".join(f"{k} {v:.3f}" for k, v in med.items()), flush=True)


if __name__ == "__main__":
    main()
