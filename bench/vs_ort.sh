#!/usr/bin/env bash
# inr vs ONNX Runtime on the same model file and machine, alternating the two engines so that load from
# other processes hits both alike; prints each round and the median ratio.
#
#   bench/vs_ort.sh [--models "resnet18 resnet50 mobilenetv2"] [--batches "1 16"] [--rounds 5] [--runs 30]
#                   [--threads 2] [--precision fp32|int8] [--quant-flags "--reduce-range"] [--warmup 5]
#
# Synthetic ResNets come from `inr synth` (speed does not depend on weights), vit_b16 and swin_t from
# bench/transformer_graphs.py (seeded weights, opset-13 export layout); mobilenetv2 is the real
# fp32 model from the data directory, zoo-int8 the zoo's QOperator int8 MobileNetV2 as it is. int8 models
# are quantized by `inr quantize` (QDQ, per-channel, plus --quant-flags). Ratio = inr p50 latency / ORT p50
# latency (< 1: inr is faster).
#
# CPU tier: INR_MAX_ISA (e.g. avx2) caps inr, not ONNX Runtime, which always uses the CPU's best kernels;
# the script prints both tiers, so a capped run compares inr's lower tier against ORT's native one.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
MODELS="resnet18 resnet50"
BATCHES="1 16"
ROUNDS=5
RUNS=30
WARMUP=5
THREADS=2
PRECISION=fp32
QUANT_FLAGS=""
while (($#)); do
  case "$1" in
    --models) MODELS=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --precision) PRECISION=$2; shift 2 ;;
    --quant-flags) QUANT_FLAGS=$2; shift 2 ;;
    *) echo "vs_ort.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
model_file() {
  local name=$1 f
  case "$name" in
    mobilenetv2) f="$DATA/models/mobilenetv2-12-int8-dequant-fp32.onnx" ;;
    zoo-int8) echo "$DATA/models/mobilenetv2-12-int8.onnx"; return ;;
    vit_b16 | swin_t) f="$WORK/$name.onnx"; [ -f "$f" ] || /usr/bin/python3 bench/transformer_graphs.py "$name" -o "$f" >/dev/null ;;
    *) f=$(synth_model "$name") ;;
  esac
  if [ "$PRECISION" = int8 ]; then
    local tag
    tag=$(printf "%s" "$QUANT_FLAGS" | tr -c 'a-zA-Z0-9' '_')
    local q="$WORK/$name.int8$tag.onnx"
    if [ ! -f "$q" ]; then
      # shellcheck disable=SC2086
      "$INR" quantize -m "$f" -o "$q" --mode static --per-channel --format qdq --calib-data "$DATA/imagenet/samples" \
        --calib-count 32 $QUANT_FLAGS >&2
    fi
    f=$q
  fi
  echo "$f"
}


echo "inr $("$INR" version | grep 'cpu tier')" >&2
echo "ONNX Runtime: the CPU's own kernels (not capped)" >&2
printf "%-12s %-5s %-5s %10s %10s %8s\n" model prec batch inr_p50_ms ort_p50_ms ratio
for name in $MODELS; do
  f=$(model_file "$name")
  for b in $BATCHES; do
    ratios=()
    inr_ms=()
    ort_ms=()
    for ((r = 0; r < ROUNDS; r++)); do
      i=$("$INR" bench -m "$f" --batch "$b" --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP" --json | field p50_ms)
      o=$(node tools/ort/ort_run.js bench "$f" --batch "$b" --threads "$THREADS" --runs "$RUNS" --warmup "$WARMUP" | field p50_ms)
      inr_ms+=("$i")
      ort_ms+=("$o")
      ratios+=("$(awk -v a="$i" -v b="$o" 'BEGIN {printf "%.3f", a / b}')")
      echo "  round $r: $name $PRECISION batch $b inr $i ms, ort $o ms" >&2
    done
    mi=$(printf "%s\n" "${inr_ms[@]}" | median)
    mo=$(printf "%s\n" "${ort_ms[@]}" | median)
    mr=$(printf "%s\n" "${ratios[@]}" | median)
    printf "%-12s %-5s %-5s %10.2f %10.2f %8.3f\n" "$name" "$PRECISION" "$b" "$mi" "$mo" "$mr"
  done
done
