#!/usr/bin/env bash
# How long an OpenMP thread spins before it sleeps (GOMP_SPINCOUNT), measured on the models at 2 threads, with
# the machine otherwise idle and with other work competing for the cores. Settings alternate within each
# round so that load from outside hits them alike; prints each measurement and the median p50 per setting.
#
#   bench/omp_wait.sh [--models "resnet50 mobilenetv2 zoo-int8"] [--spins "10000 1000 100 0"]
#                     [--loads "none busy1 inr"] [--rounds 3] [--runs 30] [--threads 2]
#
# Loads: none (nothing else started), busyN (N shell loops that never sleep, such as a compiler),
# inr (another inr process running ResNet50 at 2 threads with inr's default wait). A spin of 0 is
# OMP_WAIT_POLICY=passive. resnet* come from `inr synth`, mobilenetv2 is the data directory's fp32 model,
# zoo-int8 its QOperator int8 one.
set -euo pipefail
cd "$(dirname "$0")/.."
INR=${INR:-./build/inr}
DATA=${INR_DATA_DIR:-$(cd .. && pwd)/shared/data}
MODELS="resnet50 mobilenetv2 zoo-int8"
SPINS="10000 1000 100 0"
LOADS="none busy1 inr"
ROUNDS=3
RUNS=30
THREADS=2
while (($#)); do
  case "$1" in
    --models) MODELS=$2; shift 2 ;;
    --spins) SPINS=$2; shift 2 ;;
    --loads) LOADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "omp_wait.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
WORK=${WORK:-/tmp/inr-bench}
mkdir -p "$WORK"
OUT=$(mktemp)
PIDS=()
stop_load() {  # each load is its own process group (setsid): its children go with it
  for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_load; rm -f "$OUT"' EXIT

model_file() {
  case "$1" in
    mobilenetv2) echo "$DATA/models/mobilenetv2-12-int8-dequant-fp32.onnx" ;;
    zoo-int8) echo "$DATA/models/mobilenetv2-12-int8.onnx" ;;
    *)
      local f="$WORK/$1.onnx"
      [ -f "$f" ] || "$INR" synth "$1" --seed 1 -o "$f" >/dev/null
      echo "$f"
      ;;
  esac
}

start_load() {
  case "$1" in
    none) ;;
    busy*)
      for ((i = 0; i < ${1#busy}; i++)); do
        setsid bash -c 'while :; do :; done' &
        PIDS+=($!)
      done
      ;;
    inr)
      local f
      f=$(model_file resnet50)
      setsid bash -c "while :; do '$INR' bench -m '$f' --threads 2 -r 1000 >/dev/null 2>&1; done" &
      PIDS+=($!)
      ;;
    *) echo "omp_wait.sh: unknown load $1" >&2; exit 2 ;;
  esac
  sleep 2
}

p50() {  # p50 ms of `inr bench` on model $1 with spin $2
  local env=(GOMP_SPINCOUNT="$2")
  [ "$2" = 0 ] && env=(OMP_WAIT_POLICY=passive)
  env "${env[@]}" "$INR" bench -m "$1" --threads "$THREADS" -r "$RUNS" --json 2>/dev/null |
    sed -n 's/.*"p50_ms": *\([0-9.]*\).*/\1/p' | head -1
}

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), tier: $("$INR" version 2>/dev/null | sed -n 's/^cpu tier: *//p' | head -1), $(nproc) cores"
for model in $MODELS; do model_file "$model" >/dev/null; done
for ((r = 1; r <= ROUNDS; r++)); do
  for load in $LOADS; do
    start_load "$load"
    for model in $MODELS; do
      f=$(model_file "$model")
      for spin in $SPINS; do
        v=$(p50 "$f" "$spin")
        echo "round $r load $load model $model spin $spin p50_ms $v" | tee -a "$OUT"
      done
    done
    stop_load
  done
done
echo
echo "median p50 ms over $ROUNDS rounds ($THREADS threads; spin 0 = OMP_WAIT_POLICY=passive):"
/usr/bin/env python3 - "$OUT" "$SPINS" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
spins = sys.argv[2].split()
cells = {}
for r in rows:
    if len(r) < 10 or not r[9]:
        continue
    cells.setdefault((r[3], r[5]), {}).setdefault(r[7], []).append(float(r[9]))
print("| load | model | " + " | ".join("spin " + s for s in spins) + " |")
print("|---|---|" + "---|" * len(spins))
for (load, model), by_spin in cells.items():
    print(f"| {load} | {model} | " + " | ".join(
        f"{statistics.median(by_spin[s]):.2f}" if s in by_spin else "-" for s in spins) + " |")
EOF
