#!/bin/bash
# A private single-node Slurm "cluster" in a directory, for tests and for trying the scripts here on one
# machine: its own munged (own key and socket), slurmctld and slurmd on free ports, no systemd, no cgroups
# (proctrack/linuxproc, task/none). Run as root (slurmd starts jobs as their users). Recipe and sources:
# ../shared/research/ecosystem.md section 3.1 (Debian 12: slurmctld slurmd slurm-client munge, 22.05).
#
#   scripts/slurm/local-cluster.sh start DIR   # then: export SLURM_CONF=DIR/slurm.conf; sbatch ...
#   scripts/slurm/local-cluster.sh stop DIR    # cancels the jobs, ends their processes and the daemons
#
# start waits until the node is idle and fails (after stopping what it started) when it does not get there
# within 60 s, printing the daemons' logs. stop ends only processes of this cluster: the daemons by their
# pid files and job processes by SLURM_CONF=DIR/slurm.conf in their environment.
set -euo pipefail

die() { echo "local-cluster.sh: $*" >&2; exit 1; }
cmd=${1:-} dir=${2:-}
[[ ($cmd == start || $cmd == stop) && -n $dir ]] || die "usage: local-cluster.sh start|stop DIR"

pid_of() { if [[ -s $dir/$1.pid ]]; then cat "$dir/$1.pid"; fi; }

stop() {
  local conf=$dir/slurm.conf
  if [[ -f $conf ]] && [[ -n $(pid_of slurmctld) ]]; then
    local jobs=()
    mapfile -t jobs < <(SLURM_CONF=$conf timeout 10 squeue -h -o %A 2>/dev/null || true)
    ((${#jobs[@]} == 0)) || SLURM_CONF=$conf timeout 10 scancel "${jobs[@]}" 2>/dev/null || true
  fi
  # Processes of this cluster's jobs (and their slurmstepd): SLURM_CONF=this conf in their environment.
  local p pids=()
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" ]] && continue
    if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$conf"; then pids+=("${p#/proc/}"); fi
  done
  local name
  for name in slurmd slurmctld munged; do
    p=$(pid_of "$name")
    [[ -n $p ]] && pids+=("$p")
  done
  ((${#pids[@]})) || return 0
  kill "${pids[@]}" 2>/dev/null || true

  for _ in $(seq 50); do
    local alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    ((${#alive[@]})) || break
    sleep 0.2
  done
  for p in "${pids[@]}"; do if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi; done
  rm -f "$dir"/{slurmd,slurmctld,munged}.pid
}

if [[ $cmd == stop ]]; then
  [[ -d $dir ]] || exit 0
  dir=$(cd "$dir" && pwd)
  stop
  exit 0
fi

# start
[[ $(id -u) == 0 ]] || die "must run as root (slurmd runs jobs as their submitting user)"
for c in munged mungekey slurmctld slurmd sbatch sinfo squeue scancel /usr/bin/python3; do
  command -v "$c" >/dev/null || die "$c not found: apt-get install slurmctld slurmd slurm-client munge (scripts/install-deps.sh)"
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[[ ! -s $dir/slurmctld.pid ]] || die "$dir already holds a running cluster (stop it first)"
mkdir -p "$dir"/{state,spool,log,munge}
chmod 700 "$dir/munge"
trap 'status=$?; if ((status)); then tail -n 20 "$dir"/log/*.log >&2 2>/dev/null || true; stop; fi' EXIT

# munge: a key and a socket of our own, so neither the machine's munged nor another cluster is touched.
mungekey --create --keyfile="$dir/munge/munge.key" --force
chmod 600 "$dir/munge/munge.key"
munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" --force
munge --socket="$dir/munge/munge.socket" -n | unmunge --socket="$dir/munge/munge.socket" >/dev/null ||
  die "munged does not answer on $dir/munge/munge.socket"

# Two free TCP ports (bound and released: another process could take one in between, then start fails).
read -r ctld_port slurmd_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
cat >"$dir/slurm.conf" <<CONF
ClusterName=inrlocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -i
slurmd
for _ in $(seq 120); do
  [[ $(sinfo -h -o %t 2>/dev/null) == idle ]] && { trap - EXIT; echo "export SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.5
done
die "the node did not become idle within 60 s (logs above)"
