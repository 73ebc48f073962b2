#!/usr/bin/env bash
# The quantizer's accuracy table: MobileNetV2 fp32 -> fp16, dynamic int8, static int8 per-channel with
# every calibrator (QDQ and QOperator), calibrated on imagenet/samples (200), evaluated on imagenet/val (966)
# by ORT (bench/quant_ort_eval.sh) and by `inr eval`, with the share of images where the two agree on top-1.
#   bench/quant_matrix.sh INR OUTDIR [FORMATS]
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
    "$INR" quantize -m "$M" -o "$OUT/static_${fmt}_$c.onnx" --mode static --format "$fmt" --calib "$c" --per-channel \
      --calib-data "$D/imagenet/samples" -p torchvision > "$OUT/static_${fmt}_$c.log" 2>&1
    models+=("$OUT/static_${fmt}_$c.onnx")
  done
done
echo "== ONNX Runtime"
"$(dirname "$0")/quant_ort_eval.sh" "$INR" "$D/imagenet/labels.tsv" val "$OUT/valcache" "${models[@]}"
echo "== inr (same models, same images in the same batches of 32: dynamic quantization takes each activation's"
echo "   range over the whole batch tensor, so its results depend on which images share a batch)"
awk -F'\t' -v base="$D/imagenet" '{print base "/" $1 "\t" $2}' "$OUT/valcache/list.tsv" > "$OUT/val_list.tsv"
for m in "${models[@]}"; do
  name=$(basename "$m")
  "$INR" eval -m "$m" --data "$OUT/val_list.tsv" --batch 32 --threads 2 --out "$OUT/inr_$name.jsonl" > "$OUT/inr_$name.txt"
  # top-1 from the journal; agreement with ORT's predictions (valcache/<model>.top1, in labels.tsv val order).
  node - "$OUT/inr_$name.jsonl" "$OUT/valcache/list.tsv" "$OUT/valcache/$name.top1" "$name" <<'JS'
const fs = require('fs');
const [journal, list, ortTop1, name] = process.argv.slice(2);
const inr = new Map();
for (const l of fs.readFileSync(journal, 'utf8').trim().split('\n')) {
  const j = JSON.parse(l);
  inr.set(j.path.split('/').pop(), {top: j.top[0], label: j.label});
}
const rows = fs.readFileSync(list, 'utf8').trim().split('\n').map(l => l.split('\t')[0].split('/').pop());
const ort = fs.readFileSync(ortTop1, 'utf8').trim().split('\n').map(Number);
let correct = 0, agree = 0;
for (const [k, v] of inr) correct += v.top === v.label;
rows.forEach((r, i) => { agree += inr.has(r) && inr.get(r).top === ort[i]; });
console.log(`${name}\ttop1 ${(100 * correct / inr.size).toFixed(2)}% (${correct}/${inr.size}) agree-with-ort ${(100 * agree / rows.length).toFixed(2)}% (${agree}/${rows.length})`);
JS
done
