#!/usr/bin/env bash
# W4A8 vs W8A8 on a synthetic ResNet (speed does not depend on weights), and inr vs ONNX Runtime on the same
# files: file sizes, then ROUNDS rounds alternating inr W8A8, inr W4A8, ORT W4A8, ORT W8A8 (p50 of RUNS runs
# each), medians per column and the median of the per-round ratios.
#
#   bench/w4a8_vs_ort.sh [--model resnet50] [--batch 1] [--rounds 5] [--runs 20] [--threads 2]
#
# ORT dequantizes 4-bit weights and runs float convolutions (no 4-bit QDQ fusion); inr widens them to int8 at
# load and runs its int8 kernels, so its W4A8 latency should equal its W8A8 one.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
MODEL=resnet50 BATCH=1 ROUNDS=5 RUNS=20 THREADS=2
while (($#)); do
  case "$1" in
    --model) MODEL=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "w4a8_vs_ort.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
f=$(synth_model "$MODEL")
for bits in 8 4; do
  q="$WORK/$MODEL.w${bits}a8.onnx"
  [ -f "$q" ] || "$INR" quantize -m "$f" -o "$q" --mode static --format qdq --calib-data "$DATA/imagenet/samples" \
    --calib-count 8 --weight-bits "$bits" >/dev/null
done
w8="$WORK/$MODEL.w8a8.onnx" w4="$WORK/$MODEL.w4a8.onnx"
echo "sizes: fp32 $(stat -c %s "$f") B, W8A8 $(stat -c %s "$w8") B, W4A8 $(stat -c %s "$w4") B"
inr_ms() { "$INR" bench -m "$1" --batch "$BATCH" --threads "$THREADS" --runs "$RUNS" --warmup 3 --json | field p50_ms; }
ort_ms() { node tools/ort/ort_run.js bench "$1" --batch "$BATCH" --threads "$THREADS" --runs "$RUNS" --warmup 3 | field p50_ms; }
echo "inr $("$INR" version | grep 'cpu tier'); batch $BATCH, $THREADS threads, p50 ms"
i8=() i4=() o4=() o8=() r44=() r48=()
for ((r = 0; r < ROUNDS; r++)); do
  a=$(inr_ms "$w8") b=$(inr_ms "$w4") c=$(ort_ms "$w4") d=$(ort_ms "$w8")
  i8+=("$a") i4+=("$b") o4+=("$c") o8+=("$d")
  r44+=("$(awk -v x="$b" -v y="$c" 'BEGIN {printf "%.3f", x / y}')")
  r48+=("$(awk -v x="$b" -v y="$a" 'BEGIN {printf "%.3f", x / y}')")
  echo "  round $r: inr W8A8 $a, inr W4A8 $b, ORT W4A8 $c, ORT W8A8 $d"
done
m() { printf "%s\n" "$@" | median; }
echo "median: inr W8A8 $(m "${i8[@]}"), inr W4A8 $(m "${i4[@]}"), ORT W4A8 $(m "${o4[@]}"), ORT W8A8 $(m "${o8[@]}")"
echo "median ratio inr W4A8 / ORT W4A8: $(m "${r44[@]}"); inr W4A8 / inr W8A8: $(m "${r48[@]}")"
