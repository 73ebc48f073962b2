# Shared by submit-eval.sh and submit-calibrate.sh (sourced).

# wait_report ARRAY_JOB MERGE_JOB LOG_PREFIX: after `sbatch --wait` on the merge job returned. sbatch --wait
# returns 0 for a job Slurm cancelled because a dependency failed (DependencyNeverSatisfied, seen with
# Slurm 22.05), so the state is asked for here: 0 when the merge job COMPLETED, else 1 with one line per
# array task that did not complete (its state, exit code and log).
wait_report() {
  local array=$1 merge=$2 prefix=$3 state line
  state=$(scontrol show job "$merge" -o 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1)
  [[ $state == JobState=COMPLETED ]] && return 0
  echo "${0##*/}: merge job $merge ended ${state#JobState=}${state:+ }(log: ${prefix%/*}/merge.log)" >&2
  while read -r line; do
    local task=$(grep -o 'ArrayTaskId=[0-9]*' <<<"$line") st=$(grep -o 'JobState=[A-Z_]*' <<<"$line")
    local rc=$(grep -o ' ExitCode=[0-9:]*' <<<"$line")
    [[ $st == JobState=COMPLETED ]] && continue
    echo "${0##*/}: array task ${task#ArrayTaskId=} ${st#JobState=}${rc:+ exit code ${rc# ExitCode=}} (log: $prefix-${task#ArrayTaskId=}.log)" >&2
  done < <(scontrol show job "$array" -o 2>/dev/null)
  return 1
}
