# shellcheck shell=bash
# Shared by submit-eval.sh and submit-calibrate.sh (sourced).

# job_state JOB: "COMPLETED", "RUNNING", ... (the first, for an array), or "" when Slurm no longer knows it.
job_state() {
  local s
  s=$(scontrol show job "$1" -o 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1) || true
  echo "${s#JobState=}"
}

# wait_report ARRAY_JOB MERGE_JOB LOG_PREFIX: waits (polling scontrol once a second; `sbatch --wait` polls
# at growing intervals, up to 30 s late here, and returns 0 for a job Slurm cancelled because a dependency
# failed) until the merge job has ended. Returns 0 when it COMPLETED, else prints its state and one line per
# array task that did not complete (state, exit code, log) and returns 1.
wait_report() {
  local array=$1 merge=$2 prefix=$3 state line task st rc
  while :; do
    state=$(job_state "$merge")
    case $state in PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | RESIZING) sleep 1 ;; *) break ;; esac
  done
  [[ $state == COMPLETED ]] && return 0
  echo "${0##*/}: merge job $merge ended ${state:-(unknown)} (log: ${prefix%/*}/merge.log)" >&2
  while read -r line; do
    task=$(grep -o 'ArrayTaskId=[0-9]*' <<<"$line") || true
    st=$(grep -o 'JobState=[A-Z_]*' <<<"$line") || true
    rc=$(grep -o ' ExitCode=[0-9:]*' <<<"$line") || true
    [[ $st == JobState=COMPLETED ]] && continue
    echo "${0##*/}: array task ${task#ArrayTaskId=} ${st#JobState=}${rc:+ exit code ${rc# ExitCode=}} (log: $prefix-${task#ArrayTaskId=}.log)" >&2
  done < <(scontrol show job "$array" -o 2>/dev/null)
  return 1
}
