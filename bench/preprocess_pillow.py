#!/usr/bin/python3
"""Peer for bench/preprocess_bench.cc: the PIL + torchvision eval transform on one JPEG, one thread.

Resize(256) (bilinear, Pillow's antialiased resample) + CenterCrop(224) + ToTensor + Normalize, from the
JPEG bytes in memory to a float32 [3, 224, 224] array. torchvision is not installed here, so its transforms
are restated with the same Pillow calls and numpy (torchvision.transforms.functional on a PIL image calls
Image.resize / Image.crop; ToTensor divides by 255 in float32; Normalize subtracts and divides in float32).
Prints the median CPU microseconds per image over the repeats (process CPU time, like Google Benchmark's
cpu_time, so that other processes on a shared machine disturb the comparison less than wall time would).

usage: preprocess_pillow.py IMAGE [--repeats R] [--iters N]
"""
import argparse
import io
import statistics
import time

import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)


def preprocess(data: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    # torchvision _compute_resized_output_size for Resize(256)
    if w <= h:
        size = (256, int(256 * h / w))
    else:
        size = (int(256 * w / h), 256)
    img = img.resize(size, Image.BILINEAR)
    w, h = img.size
    left = int(round((w - 224) / 2.0))
    top = int(round((h - 224) / 2.0))
    img = img.crop((left, top, left + 224, top + 224))
    x = np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    return (x - MEAN) / STD


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--iters", type=int, default=300)
    args = ap.parse_args()
    data = open(args.image, "rb").read()
    for _ in range(20):  # warm-up
        preprocess(data)
    per_image = []
    for _ in range(args.repeats):
        t0 = time.process_time()
        for _ in range(args.iters):
            preprocess(data)
        per_image.append((time.process_time() - t0) / args.iters * 1e6)
    print(f"{statistics.median(per_image):.1f}")


if __name__ == "__main__":
    main()
