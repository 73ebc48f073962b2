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
. bench/lib.sh
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
    *) synth_model "$1" ;;
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
      f=$(synth_model resnet50)
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
  env "${env[@]}" "$INR" bench -m "$1" --threads "$THREADS" -r "$RUNS" --json 2>/dev/null | field p50_ms
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
printf "| load | model |"; for spin in $SPINS; do printf " spin %s |" "$spin"; done; echo
printf "|---|---|"; for spin in $SPINS; do printf -- "---|"; done; echo
for load in $LOADS; do
  for model in $MODELS; do
    printf "| %s | %s |" "$load" "$model"
    for spin in $SPINS; do
      v=$(awk -v l="$load" -v m="$model" -v s="$spin" '$4 == l && $6 == m && $8 == s && $10 != "" {print $10}' "$OUT" | median)
      if [ -n "$v" ]; then printf " %.2f |" "$v"; else printf " - |"; fi
    done
    echo
  done
done
