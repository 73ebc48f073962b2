# shellcheck shell=bash disable=SC2034  # (DATA is for the scripts that source this)
# Sourced by the bench scripts (from the repository root): where inr, the data and the model cache are, and
# the helpers they share.
INR=${INR:-./build/inr}
DATA=${INR_DATA_DIR:-$(cd .. && pwd)/shared/data}
WORK=${WORK:-/tmp/inr-bench}
mkdir -p "$WORK"

# $WORK/NAME.onnx from `inr synth NAME` (seeded, dynamic batch), made once and shared by every script.
synth_model() {
  local f="$WORK/$1.onnx"
  [ -f "$f" ] || "$INR" synth "$1" --seed 1 --batch dynamic -o "$f" >/dev/null
  echo "$f"
}
# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# One field of an `inr bench --json` or `ort_run.js bench` result on stdin (its first batch size).
field() { node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); const r=j.results?j.results[0]:j; console.log(r['$1'])"; }
