#!/bin/bash
# Distributed calibration on Slurm: an N-task job array (calib-array.sbatch: each task observes its shard
# of the calibration batches and writes OUTDIR/obs-<task>.bin) and a job that runs after every task
# succeeded and builds the model from all of them (calib-merge.sbatch) — byte for byte the model one
# `inr quantize --calib-data ...` process writes.
#
#   scripts/slurm/submit-calibrate.sh [-n SHARDS] [--wait] OUTDIR OUTPUT.onnx --calib-data D [--calib-count N |
#       --calib-sample N --seed S] [--calib-batch B] -- INR_QUANTIZE_ARGS...
#   e.g. scripts/slurm/submit-calibrate.sh -n 4 --wait runs/cal m.int8.onnx --calib-data imagenet/val \
#          -- -m m.onnx --mode static --calib entropy
#
# The options before `--` select the calibration images (only the shards get them); the arguments after it
# go to every task and to the merge (model, mode, calibrator, preset, types). Prints "ARRAY_JOB MERGE_JOB";
# the merge's summary is OUTDIR/quantize.json, logs OUTDIR/calib-<task>.log and OUTDIR/merge.log.
# $INR, INR_SLURM_CPUS and SBATCH_* as in submit-eval.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/slurm/common.sh
. "$here/common.sh"
usage="usage: submit-calibrate.sh [-n SHARDS] [--wait] OUTDIR OUTPUT.onnx --calib-data D [...] -- INR_QUANTIZE_ARGS..."
shards=4 wait=() selection=() positional=()
while (($#)); do
  case $1 in
    -n) shards=${2:?-n needs a number}; shift 2 ;;
    --wait) wait=(--wait); shift ;;
    --calib-data | --calib-count | --calib-sample | --seed | --calib-batch) selection+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --) break ;;
    -*) echo "submit-calibrate.sh: unknown option $1" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
[[ ${1:-} == -- && ${#positional[@]} == 2 ]] || { echo "$usage" >&2; exit 2; }
shift
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit-calibrate.sh: -n must be a positive number" >&2; exit 2; }
INR=$(command -v "${INR:-inr}") || { echo "submit-calibrate.sh: inr not found (set INR=/path/to/inr)" >&2; exit 2; }
export INR
out=${positional[0]} model_out=${positional[1]}
mkdir -p "$out"
out=$(cd "$out" && pwd)
case $model_out in /*) ;; *) model_out=$PWD/$model_out ;; esac
cpus=${INR_SLURM_CPUS:-1}
# The calibration batch is part of the selection: shards split batches (README "Distributed calibration").
array=$(sbatch --parsable --array=0-$((shards - 1)) --cpus-per-task="$cpus" -o "$out/calib-%a.log" \
  "$here/calib-array.sbatch" "$out" "${selection[@]}" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes -o "$out/merge.log" \
  "$here/calib-merge.sbatch" "$out" "$model_out" "$@") || { rc=$?; echo "$array ${merge:-}"; exit "$rc"; }
merge=${merge%;*}
echo "$array $merge"
((${#wait[@]} == 0)) || wait_report "$array" "$merge" "$out/calib"
