#!/usr/bin/env bash
# Proves README.md's two set-up commands work on a fresh Debian 12 machine: builds a minimal bookworm root
# with mmdebstrap (--variant=minbase, i.e. Essential + apt like the debian:12 image, plus `make`, which the
# README's commands need and a minimal install lacks), copies this checkout's working tree (tracked and
# untracked-but-not-ignored files, so uncommitted changes are tested; no build dirs, no node_modules) to
# /work/main and ../shared to /work/shared inside it, then runs `make run` and `make test` there as root.
# scripts/install-deps.sh has to do everything else. Only the site's network set-up is carried in from the
# host: its Debian bookworm mirrors, apt proxy settings, site CA certificates (/usr/local/share/ca-certificates),
# npmrc files, proxy / npm_config_* / NODE_EXTRA_CA_CERTS variables, resolv.conf and hosts.
# Needs root, the network, ~3 GB of disk and a long time (the build); it is not part of `make test`.
#
# Usage: sudo scripts/check-fresh.sh [--only run|test] [--out DIR] [--root DIR] [--keep]
#   --only C   run only `make C` (default: both, `make run` then `make test`)
#   --out DIR  logs go here (default /tmp/check-fresh): mmdebstrap.log, make-run.log, make-test.log
#   --root DIR build the root there; must be absent or empty (default: a new /var/tmp/check-fresh-root.*)
#   --keep     keep the root afterwards (enter it with: chroot DIR bash)
set -euo pipefail

die() { echo "check-fresh: $*" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=/tmp/check-fresh ROOT="" KEEP=0 CMDS=(run test)
while (($#)); do
  case "$1" in
    --only) [[ ${2:-} == run || ${2:-} == test ]] || die "--only takes run or test"; CMDS=("$2"); shift 2 ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
((EUID == 0)) || die "must run as root (mmdebstrap --mode=root, chroot, mounts)"
SHARED=$(cd "$SRC/.." && pwd)/shared
[ -d "$SHARED/data" ] || die "no data directory at $SHARED/data"
git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 || die "$SRC is not a git checkout"
if [ -n "$ROOT" ]; then
  mkdir -p "$ROOT"
  [ -z "$(ls -A "$ROOT")" ] || die "--root $ROOT is not empty"
  ROOT=$(cd "$ROOT" && pwd)
else
  ROOT=$(mktemp -d /var/tmp/check-fresh-root.XXXXXX)
fi
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
command -v mmdebstrap >/dev/null || { echo "check-fresh: installing mmdebstrap"; apt-get install -y -qq mmdebstrap >/dev/null; }

MOUNTS=(proc sys sys/fs/cgroup dev dev/shm dev/pts)
cleanup() {
  local m i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    m="$ROOT/${MOUNTS[i]}"; mountpoint -q "$m" 2>/dev/null && { umount -R "$m" || umount -R -l "$m"; }
  done
  if ((KEEP)); then echo "check-fresh: root kept at $ROOT"
  elif awk -v r="$ROOT/" 'index($2, r) == 1 {f = 1} END {exit !f}' /proc/mounts; then
    echo "check-fresh: something is still mounted under $ROOT; not removing it" >&2
  else rm -rf --one-file-system "$ROOT"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

APT_SOURCE_FILES=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  if [ -f "$f" ]; then APT_SOURCE_FILES+=("$f"); fi
done
# The host's Debian bookworm entries (one-line .list and deb822 .sources), as one-line mirrors for mmdebstrap.
mapfile -t SOURCES < <(awk -v want='^bookworm(-updates|-security)?$' '
  function flush(  n, m, i, j, s, u) {
    if (types ~ /(^| )deb( |$)/ && enabled != "no") {
      n = split(suites, s, " "); m = split(uris, u, " ")
      for (j = 1; j <= m; j++) for (i = 1; i <= n; i++) if (s[i] ~ want) print "deb " u[j] " " s[i] " " comps
    }
    types = uris = suites = comps = enabled = ""
  }
  FNR == 1 { flush() }
  FILENAME ~ /\.list$/ {
    sub(/#.*/, ""); if ($1 != "deb") next
    i = 2; if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
    if ($(i + 1) ~ want) { l = "deb " $i " " $(i + 1); for (k = i + 2; k <= NF; k++) l = l " " $k; print l }
    next
  }
  /^[ \t]*#/ { next }
  /^[ \t]*$/ { flush(); next }
  { k = tolower($1); sub(/:$/, "", k); $1 = ""; sub(/^ +/, "")
    if (k == "types") types = $0; else if (k == "uris") uris = $0; else if (k == "suites") suites = $0
    else if (k == "components") comps = $0; else if (k == "enabled") enabled = tolower($0) }
  END { flush() }' "${APT_SOURCE_FILES[@]}" /dev/null | awk '!seen[$0]++')
((${#SOURCES[@]})) || die "no Debian bookworm entries in /etc/apt/sources.list*"
mapfile -t APTOPTS < <(apt-config dump |
  sed -nE 's/^(Acquire::(https?|ftp)::Proxy|Acquire::Check-(Valid-Until|Date) )/--aptopt=\1/p')

T0=$SECONDS
echo "check-fresh: mmdebstrap bookworm -> $ROOT (${SOURCES[*]}; log $OUT/mmdebstrap.log)"
mmdebstrap --mode=root --variant=minbase --include=make "${APTOPTS[@]}" bookworm "$ROOT" "${SOURCES[@]}" \
  >"$OUT/mmdebstrap.log" 2>&1 || { tail -n 20 "$OUT/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
echo "check-fresh: root ready in $((SECONDS - T0)) s"

# The site's network set-up; the project's files.
mkdir -p "$ROOT/usr/local/share/ca-certificates" "$ROOT/etc/ssl/certs" "$ROOT/work/main" "$ROOT/root"
cp -a /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
# Until install-deps pulls in ca-certificates (whose update-ca-certificates then adds Debian's CAs), the
# bundle holds the site CAs only; a fresh minbase machine has no CA bundle at all.
find "$ROOT/usr/local/share/ca-certificates" -name '*.crt' -exec cat {} + >"$ROOT/etc/ssl/certs/ca-certificates.crt"
for f in /root/.npmrc /etc/npmrc /usr/etc/npmrc /usr/local/etc/npmrc; do
  if [ -f "$f" ]; then mkdir -p "$ROOT$(dirname "$f")" && cp -p "$f" "$ROOT$f"; fi
done
cp -L /etc/resolv.conf /etc/hosts "$ROOT/etc/"
git -C "$SRC" ls-files -z -co --exclude-standard |
  while IFS= read -r -d '' f; do  # skip build outputs and tracked files deleted from the working tree
    if [[ ! $f =~ ^(build[^/]*|tools/ort/node_modules)/ ]] && { [ -e "$SRC/$f" ] || [ -L "$SRC/$f" ]; }; then
      printf '%s\0' "$f"
    fi
  done | tar -C "$SRC" --null --no-recursion -T - -cf - | tar -C "$ROOT/work/main" -xf -
cp -a "$SHARED" "$ROOT/work/shared"
echo "check-fresh: copied $(find "$ROOT/work/main" -type f | wc -l) checkout files and $(du -sh "$SHARED" | cut -f1) of ../shared"

mount -t proc proc "$ROOT/proc"
mount -t sysfs -o ro sysfs "$ROOT/sys"
# The control groups, mounted on every booted machine and container (slurmd needs them: without them it stops
# with "No filesystem mounted on /sys/fs/cgroup"): the host's hierarchy, read-only, not propagated back.
if mountpoint -q /sys/fs/cgroup; then
  mount --rbind /sys/fs/cgroup "$ROOT/sys/fs/cgroup" && mount --make-rslave "$ROOT/sys/fs/cgroup"
fi
mount -t tmpfs -o mode=755,nosuid dev "$ROOT/dev"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r n ma mi <<<"$d"; mknod -m 666 "$ROOT/dev/$n" c "$ma" "$mi"
done
ln -s /proc/self/fd "$ROOT/dev/fd"
for i in 0 1 2; do ln -s "/proc/self/fd/$i" "$ROOT/dev/$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))"; done
mkdir "$ROOT/dev/shm" && mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"
# Pseudo-terminals, as on any booted machine (tests drive `script` to check what a terminal shows): a private
# devpts instance, so nothing of the host's terminals is visible inside.
mkdir "$ROOT/dev/pts" && mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$ROOT/dev/pts"
ln -s pts/ptmx "$ROOT/dev/ptmx"

ENVS=(HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
while IFS= read -r v; do ENVS+=("$v=${!v}"); done < <(compgen -e | grep -E \
  '^((https?|ftp|all|no)_proxy|(HTTPS?|FTP|ALL|NO)_PROXY|npm_config_.*|NPM_CONFIG_.*|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR))$' || true)

declare -A RC TIME
for c in "${CMDS[@]}"; do
  echo "check-fresh: make $c (log $OUT/make-$c.log; follow it with tail -f)"
  t=$SECONDS
  set +e
  chroot "$ROOT" /usr/bin/env -i "${ENVS[@]}" /bin/bash -c "cd /work/main && make $c" </dev/null >"$OUT/make-$c.log" 2>&1
  RC[$c]=$?
  set -e
  TIME[$c]=$((SECONDS - t))
done

echo; echo "================ check-fresh summary (fresh Debian 12 root, logs in $OUT) ================"
fail=0
for c in "${CMDS[@]}"; do
  status=PASS; ((RC[$c] == 0)) || { status=FAIL; fail=1; }
  printf '%s  make %-4s  exit %d  %dm%02ds\n' "$status" "$c" "${RC[$c]}" $((TIME[$c] / 60)) $((TIME[$c] % 60))
  if [ "$c" = test ]; then
    grep -E 'tests passed, [0-9]+ tests? failed out of' "$OUT/make-$c.log" || echo "(no ctest summary line)"
  fi
  tail -n 12 "$OUT/make-$c.log" | sed 's/^/    | /'
done
exit "$fail"
