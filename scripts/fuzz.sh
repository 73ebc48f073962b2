#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 600), one after the other, from a fresh copy of its seed
# corpus: fuzz/corpus/<target> plus generated seeds (the ONNX node-test models of python3-onnx and windows of
# consecutive nodes cut from the real models (fuzz/real_model_seeds.py) for fuzz_onnx,
# .npy files written by numpy for fuzz_npy, lines of the real list and a journal for fuzz_lists).
# Build first: cmake --preset fuzz && cmake --build build-fuzz. Crash inputs are left in $WORK/<target>/.
# Prints one line per target: executions, CPU seconds, corpus size, and whether it found a crash.
# With CPU_SECONDS=N each target stops after N seconds of its own CPU time instead of SECONDS of wall time (the
# issue's "one CPU-hour" on a loaded machine): the script polls /proc and sends SIGINT, so libFuzzer still prints
# its final stats. A WORK directory from an earlier run keeps its corpus; the seeds are added to it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-600}
BUILD=${BUILD:-build-fuzz}
WORK=${WORK:-$(mktemp -d /tmp/inr-fuzz.XXXXXX)}
DATA=${INR_DATA_DIR:-$(realpath ../shared/data)}
PY=/usr/bin/python3
TARGETS=${TARGETS:-fuzz_onnx fuzz_npy fuzz_lists fuzz_jpeg fuzz_png}

seed() {  # target dir
  local t=$1 d=$2
  mkdir -p "$d"
  [ -d "fuzz/corpus/${t#fuzz_}" ] && cp -r "fuzz/corpus/${t#fuzz_}/." "$d/"
  case $t in
    fuzz_onnx)
      local node
      node=$($PY -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "backend/test/data/node"))')
      for m in "$node"/*/model.onnx; do cp "$m" "$d/$(basename "$(dirname "$m")").onnx"; done
      # The real models, cut into windows of 1-5 consecutive nodes that fit max_len (a whole model is 3.6 MB).
      for m in "$DATA"/models/*.onnx; do $PY fuzz/real_model_seeds.py "$m" "$d" 60000 > /dev/null; done ;;
    fuzz_npy)
      $PY - "$d" <<'PY'
import sys, numpy as np
d = sys.argv[1]
for i, (dt, shape) in enumerate([("<f4", (3, 4)), ("|u1", (2, 2, 3)), ("<i8", (5,)), ("<f2", ()), ("|i1", (0, 3)),
                                 ("<f8", (1, 1, 1, 2)), (">f4", (2,)), ("|b1", (3,))]):
    np.save(f"{d}/seed{i}.npy", np.arange(int(np.prod(shape))).reshape(shape).astype(dt))
PY
      ;;
    fuzz_lists)
      head -n 20 "$DATA/imagenet/labels.tsv" > "$d/labels.tsv"
      head -n 20 "$DATA/labels/ILSVRC2012_val_ground_truth_caffe.txt" > "$d/caffe.txt"
      printf '%s\n' '{"schema":"inr.eval.journal","version":1}' \
        '{"image":"a.jpg","label":3,"top":[3,1,2],"scores":[0.5,0.25,0.125],"ms":1.5}' \
        '{"image":"b.jpg","label":-1,"error":"bad"}' '2/4' '1,3' > "$d/journal.jsonl" ;;
  esac
}

echo "fuzzing ${TARGETS} for ${CPU_SECONDS:-$SECONDS_EACH} ${CPU_SECONDS:+CPU }s each in $WORK"
for t in $TARGETS; do
  corpus="$WORK/$t/corpus"
  seed "$t" "$corpus"
  log="$WORK/$t/log.txt"
  rc=0
  limit=$SECONDS_EACH
  [ -n "${CPU_SECONDS:-}" ] && limit=$((CPU_SECONDS * 100))  # wall-clock backstop: the CPU budget ends it
  (cd "$WORK/$t" && exec nice -n 19 "$ROOT/$BUILD/fuzz/$t" -max_total_time="$limit" -rss_limit_mb=2048 -timeout=20 \
      -max_len=65536 -print_final_stats=1 corpus > log.txt 2>&1) &
  pid=$!
  cpu=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    # utime + stime (fields 14 and 15 of /proc/PID/stat, in clock ticks), counted after the command name.
    ticks=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo "")
    [ -n "$ticks" ] && cpu=$((ticks / $(getconf CLK_TCK)))
    if [ -n "${CPU_SECONDS:-}" ] && [ "$cpu" -ge "$CPU_SECONDS" ]; then kill -INT "$pid" 2>/dev/null || true; fi
  done
  wait "$pid" || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  files=$(ls "$corpus" | wc -l)
  crashes=$(ls "$WORK/$t" | grep -cE '^(crash|leak|timeout|oom)-' || true)
  echo "$t: exit $rc, $execs executions, $cpu CPU seconds, corpus $files files, $crashes crash/leak/timeout/oom inputs"
done
