#!/bin/sh
# Runs the inr preprocessing benchmark and the Pillow peer on the same 500x375 JPEG, one thread each,
# alternating them, and prints the median CPU time per image of each and the ratio inr / Pillow. CPU time
# (Google Benchmark's cpu_time, Python's process_time) because the build machine is shared.
# usage: bench/preprocess_vs_pillow.sh [BUILD_DIR] [IMAGE]
#   BUILD_DIR defaults to build; IMAGE to imagenet/samples/n01440764_tench.JPEG (500x375) in the data dir.
# Needs /usr/bin/python3 with PIL and numpy (Debian: python3-pil python3-numpy).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
data=${INR_DATA_DIR:-$here/../../shared/data}
image=${2:-$data/imagenet/samples/n01440764_tench.JPEG}
rounds=${ROUNDS:-5}
py=/usr/bin/python3
# Pillow and numpy allocate fresh image buffers on every call; with glibc's defaults those large blocks are
# returned to the kernel and page-faulted back each time, which on this VM made Pillow ~5x slower (15 ms
# instead of 3 ms per image). Keep freed memory in the process for both sides so that the comparison is
# about the pipelines, not the page-fault cost (inr reuses its buffers and is unaffected).
export MALLOC_TRIM_THRESHOLD_=1000000000 MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TOP_PAD_=100000000

inr_times=""
pil_times=""
i=0
while [ $i -lt "$rounds" ]; do
  t=$("$build/bench/preprocess_bench" --image="$image" --benchmark_filter='BM_Preprocess_Torchvision$' \
        --benchmark_min_time=1 --benchmark_format=json 2>/dev/null |
      $py -c 'import json,sys; b=json.load(sys.stdin)["benchmarks"][0]; print(b["cpu_time"])')
  p=$($py "$here/preprocess_pillow.py" "$image" --repeats 1 --iters 300)
  inr_times="$inr_times $t"
  pil_times="$pil_times $p"
  i=$((i + 1))
done
$py - "$inr_times" "$pil_times" "$image" <<'PY'
import statistics, sys
inr = [float(x) for x in sys.argv[1].split()]
pil = [float(x) for x in sys.argv[2].split()]
mi, mp = statistics.median(inr), statistics.median(pil)
print(f"image: {sys.argv[3]}")
print(f"inr torchvision preset:  median {mi:.0f} us/image  (runs: {', '.join(f'{x:.0f}' for x in inr)})")
print(f"Pillow + transforms:     median {mp:.0f} us/image  (runs: {', '.join(f'{x:.0f}' for x in pil)})")
print(f"ratio inr / Pillow: {mi / mp:.3f}  (inr is {mp / mi:.2f}x faster)")
PY
