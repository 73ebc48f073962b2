"""Fixtures of the `inr serve` / `inr loadgen` tests (CTest label `serve`).

CTest runs them with Debian's /usr/bin/python3 and INR_CLI=<the built inr>, INR_SOURCE_DIR; the data is
../shared/data beside the checkout or $INR_DATA_DIR. The client is Python's urllib / http.client / socket,
i.e. a real HTTP client talking to the real server process on 127.0.0.1.
By hand: INR_CLI=build/inr /usr/bin/python3 -m pytest -q tests/serve
"""
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("INR_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
DATA_DIR = pathlib.Path(os.environ.get("INR_DATA_DIR", SOURCE_DIR.parent / "shared" / "data"))
FP32 = DATA_DIR / "models" / "mobilenetv2-12-int8-dequant-fp32.onnx"
INT8 = DATA_DIR / "models" / "mobilenetv2-12-int8.onnx"
CLI = os.environ.get("INR_CLI", str(SOURCE_DIR / "build" / "inr"))


def need_data():
    if not (DATA_DIR / "MANIFEST.md").exists():
        pytest.skip(f"no data at {DATA_DIR} (set INR_DATA_DIR)")
    if not os.path.exists(CLI):
        pytest.skip(f"no inr binary at {CLI} (set INR_CLI)")


def make_repository(root):
    """DIR/<name>/1/model.onnx for the fp32 and the int8 MobileNetV2 (symlinks), plus a version 2 of fp32."""
    root = pathlib.Path(root)
    for name, model, versions in (("mnv2", FP32, (1, 2)), ("mnv2_int8", INT8, (1,))):
        for v in versions:
            d = root / name / str(v)
            d.mkdir(parents=True)
            (d / "model.onnx").symlink_to(model)
    return root


class Server:
    """An `inr serve` child process on a free port (--http-port 0 + --port-file: no port race)."""

    def __init__(self, repo, *args):
        self.dir = tempfile.mkdtemp(prefix="inr-serve-")
        port_file = os.path.join(self.dir, "port")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [CLI, "serve", "--model-repository", str(repo), "--http-port", "0", "--port-file", port_file,
             "--threads", "2", *map(str, args)],
            stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.time() + 120  # loading + warm-up of every batch size
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise AssertionError(f"inr serve exited {self.proc.returncode}: {self.log()}")
            if time.time() > deadline:
                self.proc.kill()
                raise AssertionError("inr serve did not start listening")
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        self.base = f"http://127.0.0.1:{self.port}"

    def log(self):
        self.stderr.flush()
        return open(self.stderr_path).read()

    def stop(self, timeout=60):
        """SIGTERM, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("inr serve did not exit after SIGTERM")


def http(method, url, body=None, headers=None, timeout=120):
    """(status, headers, body bytes) for any status code."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def server():
    need_data()
    with tempfile.TemporaryDirectory() as d:
        repo = make_repository(d)
        s = Server(repo, "--max-batch", "4", "--max-delay-ms", "5", "--max-body-mb", "8", "--http-threads", "2")
        yield s
        assert s.stop() == 0, s.log()


@pytest.fixture(scope="module")
def classify_top5():
    """{(model, image path): top-5 indices} from `inr classify --json` (the CLI oracle)."""
    need_data()
    cache = {}

    def get(model, images):
        missing = [i for i in images if (model, str(i)) not in cache]
        if missing:
            args = [CLI, "classify", "-m", str(model), "--json", "-k", "5"]
            for i in missing:
                args += ["-i", str(i)]
            r = subprocess.run(args, capture_output=True, text=True, check=True)
            for line in r.stdout.splitlines():
                j = json.loads(line)
                if "image" in j and "top" in j:
                    cache[(model, j["image"])] = j["top"]
        return [cache[(model, str(i))] for i in images]

    return get
