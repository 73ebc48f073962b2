#!/bin/bash
# Sharded `inr eval` on Slurm: an N-task job array (eval-array.sbatch, one shard per task) and a merge job
# that runs after every task succeeded (eval-merge.sbatch, --dependency=afterok).
#
#   scripts/slurm/submit-eval.sh [-n SHARDS] [--wait] OUTDIR -- INR_EVAL_ARGS...
#   e.g. scripts/slurm/submit-eval.sh -n 8 --wait runs/val -- -m mobilenetv2.onnx --data imagenet/val
#
# Prints "ARRAY_JOB MERGE_JOB". Results: OUTDIR/preds-<task>.jsonl, OUTDIR/summary.json, OUTDIR/merged.jsonl,
# logs OUTDIR/eval-<task>.log and OUTDIR/merge.log. --wait blocks until the merge job ends and exits 0 only
# when it completed; otherwise (a task failed, so Slurm cancelled the merge: DependencyNeverSatisfied with
# --kill-on-invalid-dep) it prints one line per failed task with its log and exits 1.
# Other sbatch settings come from the environment sbatch reads (SBATCH_PARTITION, SBATCH_ACCOUNT,
# SBATCH_TIMELIMIT, ...); CPUs per task (`--cpus-per-task`, and OMP_NUM_THREADS in the task) from
# INR_SLURM_CPUS (default 1). $INR is the inr binary (default: inr on PATH, made absolute).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/slurm/common.sh
. "$here/common.sh"
shards=4 wait=()
while (($#)); do
  case $1 in
    -n) shards=${2:?-n needs a number}; shift 2 ;;
    --wait) wait=(--wait); shift ;;
    --) break ;;
    -*) echo "submit-eval.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[[ ${1:-} == -- ]] || { echo "usage: submit-eval.sh [-n SHARDS] [--wait] OUTDIR -- INR_EVAL_ARGS..." >&2; exit 2; }
shift
[[ -n ${out:-} ]] || { echo "submit-eval.sh: give OUTDIR" >&2; exit 2; }
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit-eval.sh: -n must be a positive number" >&2; exit 2; }
INR=$(command -v "${INR:-inr}") || { echo "submit-eval.sh: inr not found (set INR=/path/to/inr)" >&2; exit 2; }
export INR
mkdir -p "$out"
out=$(cd "$out" && pwd)
cpus=${INR_SLURM_CPUS:-1}
array=$(sbatch --parsable --array=0-$((shards - 1)) --cpus-per-task="$cpus" -o "$out/eval-%a.log" \
  "$here/eval-array.sbatch" "$out" "$@")
array=${array%%;*}  # "JOB;CLUSTER" on a multi-cluster set-up
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes -o "$out/merge.log" \
  "$here/eval-merge.sbatch" "$out") || { rc=$?; echo "$array ${merge:-}"; exit "$rc"; }
merge=${merge%;*}
echo "$array $merge"
((${#wait[@]} == 0)) || wait_report "$array" "$merge" "$out/eval"
