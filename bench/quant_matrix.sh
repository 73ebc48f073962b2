#!/usr/bin/env bash
# The quantizer's accuracy table: MobileNetV2 fp32 -> fp16, dynamic int8, static int8 per-channel with
# every calibrator (QDQ and QOperator), calibrated on imagenet/samples (200), evaluated by ORT on
# imagenet/val (966) with bench/quant_ort_eval.sh.   bench/quant_matrix.sh INR OUTDIR [FORMATS]
set -euo pipefail
INR=$1; OUT=$2; FORMATS=${3:-"qdq qop"}
D=${INR_DATA_DIR:-$(cd "$(dirname "$0")/../../shared/data" && pwd)}
M=$D/models/mobilenetv2-12-int8-dequant-fp32.onnx
mkdir -p "$OUT"
models=("$M")
"$INR" quantize -m "$M" -o "$OUT/fp16.onnx" --mode fp16 > "$OUT/fp16.log"; models+=("$OUT/fp16.onnx")
"$INR" quantize -m "$M" -o "$OUT/dynamic.onnx" --mode dynamic --per-channel > "$OUT/dynamic.log"; models+=("$OUT/dynamic.onnx")
for fmt in $FORMATS; do
  for c in minmax percentile entropy l2 tf-enhanced; do
    "$INR" quantize -m "$M" -o "$OUT/static_${fmt}_$c.onnx" --format "$fmt" --calib "$c" --per-channel \
      --calib-data "$D/imagenet/samples" -p torchvision > "$OUT/static_${fmt}_$c.log" 2>&1
    models+=("$OUT/static_${fmt}_$c.onnx")
  done
done
"$(dirname "$0")/quant_ort_eval.sh" "$INR" "$D/imagenet/labels.tsv" val "$OUT/valcache" "${models[@]}"
