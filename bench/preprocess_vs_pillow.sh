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
