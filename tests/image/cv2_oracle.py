#!/usr/bin/python3
"""OpenCV oracle for tests/image/cv_parity_test.cc (Debian python3-opencv + numpy; scripts/install-deps.sh).

Reads a job list (TSV) and writes one .npy per job:
  resize  IN.npy  OUT.npy  linear|cubic|area  WIDTH  HEIGHT
      cv2.resize of the uint8 [H, W, 3] image IN to WIDTH x HEIGHT with INTER_LINEAR / INTER_CUBIC /
      INTER_AREA; OUT is uint8 [HEIGHT, WIDTH, 3] in IN's channel order.
  caffe2  IN.npy  OUT.npy
      the `caffe2` preset restated with cv2 + numpy the way a Caffe2/OpenCV pipeline writes it: the RGB
      image IN reordered to BGR (what cv2.imread returns), shorter side resized to 256 with INTER_LINEAR
      (the longer to int(256 * long / short)), center crop 224 at round((size - 224) / 2), then in float32
      (x - 255 * mean) / (255 * std) with mean (0.406, 0.456, 0.485) and std (0.225, 0.224, 0.229) in BGR
      order; OUT is float32 [3, 224, 224] (BGR planes).
  caffe2_file  IMAGE  OUT.npy
      the same from the image file itself, decoded by cv2.imread(IMAGE, IMREAD_COLOR): the whole pipeline.
Exits non-zero with a message on any error.

usage: cv2_oracle.py JOBS.tsv
"""
import sys

import cv2
import numpy as np

INTERP = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "area": cv2.INTER_AREA}
CAFFE2_MEAN = np.array([0.406 * 255, 0.456 * 255, 0.485 * 255], dtype=np.float32)
CAFFE2_STD = np.array([0.225 * 255, 0.224 * 255, 0.229 * 255], dtype=np.float32)
CAFFE2_SHORTER, CAFFE2_CROP = 256, 224


def caffe2(bgr: np.ndarray) -> np.ndarray:
    h, w = bgr.shape[:2]
    if w <= h:
        size = (CAFFE2_SHORTER, int(CAFFE2_SHORTER * h / w))
    else:
        size = (int(CAFFE2_SHORTER * w / h), CAFFE2_SHORTER)
    resized = cv2.resize(bgr, size, interpolation=cv2.INTER_LINEAR)
    top = round((size[1] - CAFFE2_CROP) / 2)
    left = round((size[0] - CAFFE2_CROP) / 2)
    crop = resized[top:top + CAFFE2_CROP, left:left + CAFFE2_CROP].astype(np.float32)
    out = (crop / np.float32(1.0) - CAFFE2_MEAN) / CAFFE2_STD
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    cache = {}
    with open(sys.argv[1]) as jobs:
        for n, line in enumerate(jobs, 1):
            f = line.rstrip("\n").split("\t")
            if not f or f == [""]:
                continue
            kind, src, dst = f[0], f[1], f[2]
            if kind == "caffe2_file":
                bgr = cv2.imread(src, cv2.IMREAD_COLOR)
                if bgr is None:
                    raise ValueError(f"line {n}: cv2.imread cannot read {src}")
                np.save(dst, caffe2(bgr))
                continue
            if src not in cache:
                cache.clear()
                cache[src] = np.load(src)
            img = cache[src]
            if kind == "resize":
                out = cv2.resize(img, (int(f[4]), int(f[5])), interpolation=INTERP[f[3]])
                if out.ndim == 2:  # cv2 drops the channel axis of a 1-channel result; ours are 3-channel
                    raise ValueError(f"line {n}: unexpected 2-D result")
            elif kind == "caffe2":
                out = caffe2(np.ascontiguousarray(img[:, :, ::-1]))  # RGB -> BGR, as cv2.imread gives
            else:
                raise ValueError(f"line {n}: unknown job kind {kind!r}")
            np.save(dst, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
