#!/usr/bin/env bash
# A wrk run against `inr serve`: MODEL served with dynamic batching, one photo's preprocessed tensor POSTed
# in binary with a top-5 classification request, CONNECTIONS keep-alive connections for SECONDS.
# usage: bench/serve_wrk.sh MODEL [SECONDS=60] [CONNECTIONS=64] [MAX_BATCH=8] [DELAY_MS=5]
# Prints wrk's report and the server's /metrics batch histogram; exit 1 if wrk saw any error or non-2xx.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(realpath "$1"); seconds=${2:-60}; conns=${3:-64}; batch=${4:-8}; delay=${5:-5}
inr=${INR_CLI:-build/inr}
data=$(dirname "$(dirname "$model")")
dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/repo/m/1" && ln -s "$model" "$dir/repo/m/1/model.onnx"
/usr/bin/python3 - "$data/reference/photos_input_f32_nchw.bin" "$dir/body.bin" <<'PY'
import json, sys
x = open(sys.argv[1], "rb").read()[:3 * 224 * 224 * 4]
h = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3, 224, 224],
                            "parameters": {"binary_data_size": len(x)}}],
                "outputs": [{"name": "output", "parameters": {"classification": 5}}]}).encode()
open(sys.argv[2], "wb").write(h + x)
open(sys.argv[2] + ".len", "w").write(str(len(h)))
PY
"$inr" serve --model-repository "$dir/repo" --http-port 0 --port-file "$dir/port" --threads 2 --http-threads 1 \
  --max-batch "$batch" --max-delay-ms "$delay" --max-queue 1024 2>"$dir/serve.log" &
pid=$!
while [ ! -s "$dir/port" ]; do kill -0 "$pid"; sleep 0.1; done
port=$(cat "$dir/port")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
INR_WRK_BODY="$dir/body.bin" INR_WRK_HEADER_LEN=$(cat "$dir/body.bin.len") \
  wrk -t2 -c"$conns" -d"${seconds}s" --timeout 30s --latency -s bench/serve_wrk.lua \
  "http://127.0.0.1:$port/v2/models/m/infer" | tee "$dir/wrk.txt"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^inr_(inference_batch_size_(sum|count)|requests_total)'
kill -TERM "$pid"; wait "$pid"; pid=
tail -1 "$dir/serve.log"
! grep -qE 'Non-2xx|Socket errors' "$dir/wrk.txt"
