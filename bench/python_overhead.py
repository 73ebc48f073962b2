#!/usr/bin/python3
"""Overhead of the Python module: inr.InferenceSession.run vs `inr bench` on the same model, batch and threads.

Alternates the two, `--rounds` times: a round times `--runs` calls of sess.run(None, {input: x}) from Python
(after `--warmup` calls; wall time around each call, including the dict lookup, wrapping the array,
releasing the GIL and handing the output to numpy), then runs `inr bench --runs N --json` (Session::run_into,
timed in C++) as a child process. Prints each round's two medians and their ratio, then the headline: the
median over rounds of the per-round ratio (the two halves of a round are seconds apart, so a busy phase of a
shared machine slows both alike), and the medians over rounds of each side.

usage: PYTHONPATH=build/python bench/python_overhead.py MODEL [--inr build/inr] [--batch 1] [--threads 2]
                                                              [--runs 100] [--warmup 20] [--rounds 31]
"""
import argparse
import json
import statistics
import subprocess
import time

import numpy as np

import inr


def python_median_ms(sess, feed, runs, warmup):
    for _ in range(warmup):
        sess.run(None, feed)
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feed)
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def bench_median_ms(args):
    out = subprocess.run([args.inr, "bench", "-m", args.model, "--batch", str(args.batch), "--threads",
                          str(args.threads), "--runs", str(args.runs), "--warmup", str(args.warmup), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["results"][0]["p50_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--inr", default="build/inr")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--rounds", type=int, default=31)
    args = p.parse_args()

    sess = inr.InferenceSession(args.model, threads=args.threads)
    i = sess.get_inputs()[0]
    shape = [args.batch if not isinstance(d, int) else d for d in i.shape]
    # Random input like bench's (the values do not change the work of a float or int8 CNN).
    feed = {i.name: np.random.default_rng(0).standard_normal(shape, dtype=np.float32)}
    py, cpp = [], []
    print(f"{'round':>5} {'python_ms':>10} {'bench_ms':>10} {'ratio':>7}")
    for r in range(args.rounds):
        py.append(python_median_ms(sess, feed, args.runs, args.warmup))
        cpp.append(bench_median_ms(args))
        print(f"{r + 1:>5} {py[-1]:>10.3f} {cpp[-1]:>10.3f} {py[-1] / cpp[-1]:>7.3f}")
    ratio = statistics.median(a / b for a, b in zip(py, cpp))
    print(f"overhead {100 * (ratio - 1):+.1f}% (median of the per-round ratios); medians over rounds: python "
          f"{statistics.median(py):.3f} ms, inr bench {statistics.median(cpp):.3f} ms")

if __name__ == "__main__":
    main()
