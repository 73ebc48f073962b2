"""Fixtures of the Python module's tests (CTest label `python`).

CTest runs them with Debian's /usr/bin/python3, PYTHONPATH=<build>/python (the built module), INR_CLI=<the
built inr binary> and INR_SOURCE_DIR; the data is ../shared/data beside the checkout or $INR_DATA_DIR.
By hand: PYTHONPATH=build/python INR_CLI=build/inr /usr/bin/python3 -m pytest tests/python
"""
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("INR_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
DATA_DIR = pathlib.Path(os.environ.get("INR_DATA_DIR", SOURCE_DIR.parent / "shared" / "data"))
FP32 = DATA_DIR / "models" / "mobilenetv2-12-int8-dequant-fp32.onnx"
INT8 = DATA_DIR / "models" / "mobilenetv2-12-int8.onnx"


@pytest.fixture(scope="session")
def data_dir():
    if not (DATA_DIR / "MANIFEST.md").exists():
        pytest.skip(f"no data at {DATA_DIR} (set INR_DATA_DIR)")
    return DATA_DIR


@pytest.fixture(scope="session")
def cli():
    """Runs the inr binary: cli("run", "-m", ...) -> CompletedProcess (text)."""
    path = os.environ.get("INR_CLI", str(SOURCE_DIR / "build" / "inr"))
    if not os.path.exists(path):
        pytest.skip(f"no inr binary at {path} (set INR_CLI)")

    def run(*args, check=True):
        r = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"inr {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
        return r

    return run
