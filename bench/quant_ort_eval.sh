#!/usr/bin/env bash
# Top-1 of ONNX models under ONNX Runtime (the external oracle) on labelled ImageNet images, for the
# quantizer's accuracy table. Images are preprocessed once by `inr preprocess` (torchvision preset) into
# a cache of .npy files; ORT (tools/ort/node_modules/onnxruntime-node, CPU EP, graph optimisation "all")
# runs the models in batches. Prints one line per model: top-1, and agreement of top-1 with the first model.
#   bench/quant_ort_eval.sh INR LABELS.tsv SUBDIR CACHE MODEL...
# e.g. bench/quant_ort_eval.sh build-quant/inr ../shared/data/imagenet/labels.tsv val /tmp/valcache fp32.onnx int8.onnx
# Writes CACHE/<model basename>.top1 (one predicted class per image, in labels.tsv order).
set -euo pipefail
INR=$1; LABELS=$2; SUB=$3; CACHE=$4; shift 4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=$(dirname "$LABELS")
mkdir -p "$CACHE"
LIST="$CACHE/list.tsv"
awk -F'\t' -v s="$SUB/" 'index($1, s) == 1' "$LABELS" > "$LIST"
while IFS=$'\t' read -r rel cls wnid; do
  npy="$CACHE/$(echo "$rel" | tr '/' '_').npy"
  [ -f "$npy" ] || "$INR" preprocess -i "$BASE/$rel" -p torchvision -o "$npy" >/dev/null
done < "$LIST"
node - "$ROOT" "$CACHE" "$LIST" "$@" <<'JS'
const [root, cache, list, ...models] = process.argv.slice(2);
const fs = require('fs'), path = require('path');
const ort = require(path.join(root, 'tools/ort/node_modules/onnxruntime-node'));
function readNpyF32(f) {
  const b = fs.readFileSync(f); const hl = b.readUInt16LE(8); const d = b.subarray(10 + hl);
  const c = new Uint8Array(d.length); c.set(d); return new Float32Array(c.buffer);
}
(async () => {
  const rows = fs.readFileSync(list, 'utf8').trim().split('\n').map(l => l.split('\t'));
  const inputs = rows.map(r => path.join(cache, r[0].replace(/\//g, '_') + '.npy'));
  let first = null;
  for (const m of models) {
    const s = await ort.InferenceSession.create(m, {intraOpNumThreads: 2, graphOptimizationLevel: 'all'});
    const preds = []; const B = 32; const per = 3 * 224 * 224;
    for (let i = 0; i < inputs.length; i += B) {
      const n = Math.min(B, inputs.length - i); const x = new Float32Array(n * per);
      for (let j = 0; j < n; ++j) x.set(readNpyF32(inputs[i + j]), j * per);
      const out = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', x, [n, 3, 224, 224])});
      const y = out[s.outputNames[0]].data; const k = y.length / n;
      for (let j = 0; j < n; ++j) { let best = 0; for (let c = 1; c < k; ++c) if (y[j * k + c] > y[j * k + best]) best = c; preds.push(best); }
    }
    const correct = preds.filter((p, i) => p === Number(rows[i][1])).length;
    let agree = '';
    if (first) agree = ` agree-with-first ${(100 * preds.filter((p, i) => p === first[i]).length / preds.length).toFixed(2)}%`;
    else first = preds;
    fs.writeFileSync(path.join(cache, path.basename(m) + '.top1'), preds.join('\n') + '\n');
    console.log(`${path.basename(m)}\ttop1 ${(100 * correct / preds.length).toFixed(2)}% (${correct}/${preds.length})${agree}`);
  }
})().catch(e => { console.error('ort error: ' + e.message); process.exit(1); });
JS
