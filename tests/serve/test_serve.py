"""`inr serve`: every OIP endpoint, the binary tensor and classification extensions, image inputs, bad
requests, metrics, concurrency (equal to `inr classify`), a full queue, and SIGTERM under load."""
import base64
from http import client as http_client
import json
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import DATA_DIR, FP32, INT8, Server, http, make_repository, need_data

PHOTOS = ["dog.jpg", "cat.png", "grace_hopper.jpg", "dog_224.jpg", "cat_224.jpg"]  # reference/photos_input_order.txt


def photo(name):
    return DATA_DIR / "images" / name


def image_request(images, k=5, binary=True, extra_outputs=None):
    """(body, headers) of an infer request sending `images` (paths) as one BYTES input [n]."""
    blobs = [open(p, "rb").read() for p in images]
    out = {"name": "output", "parameters": {"classification": k}}
    if binary:
        raw = b"".join(struct.pack("<I", len(b)) + b for b in blobs)
        header = {"id": "req-7", "inputs": [{"name": "input", "datatype": "BYTES", "shape": [len(blobs)],
                                             "parameters": {"binary_data_size": len(raw)}}],
                  "outputs": [out]}
        h = json.dumps(header).encode()
        return h + raw, {"Inference-Header-Content-Length": str(len(h)), "Content-Type": "application/octet-stream"}
    header = {"inputs": [{"name": "input", "datatype": "BYTES", "shape": [len(blobs)],
                          "data": [base64.b64encode(b).decode() for b in blobs]}], "outputs": [out]}
    return json.dumps(header).encode(), {"Content-Type": "application/json"}


def top_indices(response_json, k=5):
    out = response_json["outputs"][0]
    assert out["datatype"] == "BYTES"
    rows = out["shape"][0]
    assert out["shape"] == [rows, k]
    return [[int(e.split(":")[1]) for e in out["data"][r * k:(r + 1) * k]] for r in range(rows)]


def reference_inputs():
    """The 5 photos preprocessed by PIL + torchvision (float32 NCHW), and ORT's fp32 logits."""
    x = open(DATA_DIR / "reference" / "photos_input_f32_nchw.bin", "rb").read()
    logits = open(DATA_DIR / "reference" / "mobilenetv2-12-int8-dequant-fp32_photos_logits_f32.bin", "rb").read()
    per = 3 * 224 * 224 * 4
    return [x[i * per:(i + 1) * per] for i in range(5)], [struct.unpack("<1000f", logits[i * 4000:(i + 1) * 4000]) for i in range(5)]


# ---- endpoints ----

def test_health_server_and_model_metadata(server):
    for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/mnv2/ready", "/v2/models/mnv2_int8/ready",
                 "/v2/models/mnv2/versions/1/ready", "/v2/models/mnv2/versions/2/ready"):
        status, _, _ = http("GET", server.base + path)
        assert status == 200, path
    status, _, body = http("GET", server.base + "/v2")
    meta = json.loads(body)
    assert status == 200 and meta["name"] == "inr"
    assert set(meta["extensions"]) >= {"binary_tensor_data", "classification"}
    status, _, body = http("GET", server.base + "/v2/models/mnv2")
    m = json.loads(body)
    assert status == 200
    assert m["name"] == "mnv2" and m["platform"] == "onnx_onnxv1" and m["versions"] == ["1", "2"]
    assert m["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 3, 224, 224]}]
    assert m["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1, 1000]}]
    status, _, body = http("GET", server.base + "/v2/models/mnv2_int8/versions/1")
    assert status == 200 and json.loads(body)["name"] == "mnv2_int8"


def test_unknown_model_version_and_path_are_404(server):
    for path in ("/v2/models/nope", "/v2/models/nope/ready", "/v2/models/mnv2/versions/3", "/v2/models/mnv2/versions/x/ready",
                 "/v1/models/mnv2", "/v2/models/mnv2/explain"):
        status, _, body = http("GET", server.base + path)
        assert status == 404, path
        assert "error" in json.loads(body), path
    status, _, body = http("POST", server.base + "/v2/models/nope/infer", b"{}")
    assert status == 404 and json.loads(body)["error"] == "unknown model 'nope'"
    status, _, body = http("GET", server.base + "/v2/models/mnv2/infer")
    assert status == 405 and "POST" in json.loads(body)["error"]


def test_infer_json_tensor_matches_ort_and_binary(server):
    inputs, ort = reference_inputs()
    x = struct.unpack(f"<{3 * 224 * 224}f", inputs[0])
    req = {"id": "a", "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3, 224, 224], "data": list(x)}]}
    status, _, body = http("POST", server.base + "/v2/models/mnv2/infer", json.dumps(req).encode())
    assert status == 200, body
    r = json.loads(body)
    assert r["model_name"] == "mnv2" and r["model_version"] == "2" and r["id"] == "a"
    out = r["outputs"][0]
    assert out["name"] == "output" and out["datatype"] == "FP32" and out["shape"] == [1, 1000]
    # DESIGN.md: fp32 logits within 1e-4 x max|logit| of ONNX Runtime.
    tol = 1e-4 * max(abs(v) for v in ort[0])
    assert max(abs(a - b) for a, b in zip(out["data"], ort[0])) <= tol
    # The same tensor in binary, outputs in binary: the same floats bit for bit.
    header = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3, 224, 224],
                                     "parameters": {"binary_data_size": len(inputs[0])}}],
                         "parameters": {"binary_data_output": True}}).encode()
    status, headers, body = http("POST", server.base + "/v2/models/mnv2/versions/1/infer", header + inputs[0],
                                 {"Inference-Header-Content-Length": str(len(header))})
    assert status == 200, body
    n = int(headers["Inference-Header-Content-Length"])
    r = json.loads(body[:n])
    assert r["model_version"] == "1"
    assert r["outputs"][0]["parameters"]["binary_data_size"] == 4000 and len(body) == n + 4000
    assert list(struct.unpack("<1000f", body[n:])) == [struct.unpack("<f", struct.pack("<f", v))[0] for v in out["data"]]


def test_infer_batch_of_tensors_nested_json(server):
    inputs, ort = reference_inputs()
    rows = [struct.unpack(f"<{3 * 224 * 224}f", inputs[i]) for i in range(2)]
    nested = [[[list(r[(c * 224 + y) * 224:(c * 224 + y + 1) * 224]) for y in range(224)] for c in range(3)] for r in rows]
    req = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [2, 3, 224, 224], "data": nested}],
           "outputs": [{"name": "output", "parameters": {"classification": 5}}]}
    status, _, body = http("POST", server.base + "/v2/models/mnv2/infer", json.dumps(req).encode())
    assert status == 200, body
    top = top_indices(json.loads(body))
    for i in range(2):
        want = sorted(range(1000), key=lambda c: (-ort[i][c], c))[:5]
        assert top[i][:3] == want[:3]


@pytest.mark.parametrize("model_name,model", [("mnv2", FP32), ("mnv2_int8", INT8)])
def test_classification_of_image_bytes_equals_classify(server, classify_top5, model_name, model):
    images = [photo(p) for p in PHOTOS[:3]]
    want = classify_top5(model, images)
    body, headers = image_request(images, k=5, binary=True)
    status, h, resp = http("POST", f"{server.base}/v2/models/{model_name}/infer", body, headers)
    assert status == 200, resp
    r = json.loads(resp)
    assert r["id"] == "req-7"
    assert top_indices(r) == want
    first = r["outputs"][0]["data"][0].split(":")
    assert len(first) == 3 and float(first[0]) > 0 and first[2]  # value:index:label
    # JSON form (base64 BYTES), one image, K=2.
    body, headers = image_request(images[:1], k=2, binary=False)
    status, _, resp = http("POST", f"{server.base}/v2/models/{model_name}/infer", body, headers)
    assert status == 200, resp
    assert top_indices(json.loads(resp), k=2) == [want[0][:2]]


def test_classification_in_binary(server):
    body, headers = image_request([photo("dog.jpg")], k=3)
    header_len = int(headers["Inference-Header-Content-Length"])
    header = json.loads(body[:header_len])
    header["outputs"][0]["parameters"]["binary_data"] = True
    h = json.dumps(header).encode()
    status, rh, resp = http("POST", server.base + "/v2/models/mnv2/infer", h + body[header_len:],
                            {"Inference-Header-Content-Length": str(len(h))})
    assert status == 200, resp
    n = int(rh["Inference-Header-Content-Length"])
    raw = resp[n:]
    elems = []
    while raw:
        (k,) = struct.unpack("<I", raw[:4])
        elems.append(raw[4:4 + k].decode())
        raw = raw[4 + k:]
    assert [int(e.split(":")[1]) for e in elems] == [258, 259, 261]  # Samoyed, Pomeranian, keeshond


# ---- bad requests ----

def raw_request(port, data, read_timeout=30):
    """Sends raw bytes, returns (status, body) of the first response, or (None, b"") if the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(data)
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    return None, b""
                buf += chunk
        except ConnectionResetError:
            return None, b""
        head, _, rest = buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, rest[:length]


def tensor_header(name="input", datatype="FP32", shape=(1, 3, 224, 224), size=None, **extra):
    inp = {"name": name, "datatype": datatype, "shape": list(shape)}
    if size is not None:
        inp["parameters"] = {"binary_data_size": size}
    return json.dumps({"inputs": [inp], **extra}).encode()


BAD = [
    ("malformed JSON", b'{"inputs": [', {}, "not valid JSON"),
    ("no inputs", b'{"outputs": []}', {}, "inputs"),
    ("wrong input name", tensor_header(name="data", size=602112) + b"\0" * 602112, "H", "unknown input 'data'"),
    ("wrong dtype", tensor_header(datatype="INT64", size=8 * 150528) + b"\0" * (8 * 150528), "H", "datatype INT64"),
    ("unknown dtype", tensor_header(datatype="FP99", size=4) + b"\0" * 4, "H", "unknown datatype"),
    ("wrong shape", tensor_header(shape=(1, 3, 224, 225), size=4 * 150528 + 4 * 672) + b"\0" * (4 * 151200), "H", "does not fit"),
    ("batch over the limit", tensor_header(shape=(5, 3, 224, 224), size=5 * 602112) + b"\0" * (5 * 602112), "H", "1 to 4"),
    ("truncated binary", tensor_header(size=602112) + b"\0" * 1000, "H", "truncated"),
    ("size mismatch", tensor_header(size=1000) + b"\0" * 1000, "H", "needs 602112 bytes"),
    ("extra binary", tensor_header(size=602112) + b"\0" * 602120, "H", "after the inputs"),
    ("JSON element count", json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3, 224, 224], "data": [1, 2, 3]}]}).encode(), {}, "\"data\" has 3"),
    ("JSON non-number", json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 1, 1, 1], "data": ["x"]}]}).encode(), {}, ""),
    ("unknown output", json.dumps({"inputs": [{"name": "input", "datatype": "BYTES", "shape": [1], "data": ["AAAA"]}], "outputs": [{"name": "prob"}]}).encode(), {}, "unknown output 'prob'"),
    ("classification 0", json.dumps({"inputs": [{"name": "input", "datatype": "BYTES", "shape": [1], "data": ["AAAA"]}], "outputs": [{"name": "output", "parameters": {"classification": 0}}]}).encode(), {}, "classification"),
    ("bad base64", json.dumps({"inputs": [{"name": "input", "datatype": "BYTES", "shape": [1], "data": ["!!!"]}]}).encode(), {}, "base64"),
    ("not an image", json.dumps({"inputs": [{"name": "input", "datatype": "BYTES", "shape": [1], "data": ["AAAAAAAA"]}]}).encode(), {}, "image 0"),
    ("header length past the body", b"{}", {"Inference-Header-Content-Length": "99"}, "Inference-Header-Content-Length"),
    ("header length not a number", b"{}", {"Inference-Header-Content-Length": "x"}, "not a number"),
]


@pytest.mark.parametrize("what,body,headers,message", BAD, ids=[b[0] for b in BAD])
def test_bad_request_is_400_with_error(server, what, body, headers, message):
    if headers == "H":
        headers = {"Inference-Header-Content-Length": str(body.index(b"}]}") + 3)}
    status, _, resp = http("POST", server.base + "/v2/models/mnv2/infer", body, headers)
    assert status == 400, (what, resp)
    err = json.loads(resp)["error"]
    assert message in err, err


def test_huge_body_is_413_before_it_is_read(server):
    # The server's limit is 8 MiB (--max-body-mb 8); the request announces 100 MiB and sends none of it.
    status, body = raw_request(server.port, b"POST /v2/models/mnv2/infer HTTP/1.1\r\nHost: x\r\n"
                                            b"Content-Length: 104857600\r\n\r\n")
    assert status == 413
    assert "limit" in json.loads(body)["error"]


def test_malformed_http_is_400(server):
    status, body = raw_request(server.port, b"GET /v2 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    assert status == 400 and "error" in json.loads(body)


def test_server_still_healthy_after_bad_requests(server):
    assert http("GET", server.base + "/v2/health/ready")[0] == 200


# ---- metrics ----

def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(rf"^{re.escape(name)}{{{re.escape(want)}}} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def test_metrics_prometheus_text(server):
    body, headers = image_request([photo("cat.png")], k=1)
    before = http("GET", server.base + "/metrics")[2].decode()
    assert http("POST", server.base + "/v2/models/mnv2_int8/infer", body, headers)[0] == 200
    status, h, text = http("GET", server.base + "/metrics")
    text = text.decode()
    assert status == 200 and h["Content-Type"].startswith("text/plain")
    for family, kind in (("inr_requests_total", "counter"), ("inr_request_duration_seconds", "histogram"),
                         ("inr_inference_batch_size", "histogram"), ("inr_queue_depth", "gauge")):
        assert f"# TYPE {family} {kind}" in text
    assert metric(text, "inr_requests_total", model="mnv2_int8", code="200") == \
        (metric(before, "inr_requests_total", model="mnv2_int8", code="200") or 0) + 1
    assert metric(text, "inr_queue_depth", model="mnv2_int8") == 0
    assert metric(text, "inr_inference_batch_size_count", model="mnv2_int8") >= 1
    assert metric(text, "inr_request_duration_seconds_bucket", model="mnv2_int8", le="+Inf") >= 1
    assert metric(text, "inr_requests_total", model="mnv2", code="400") >= len(BAD) - 2


# ---- concurrency ----

def test_parallel_clients_all_answered_and_batched(server, classify_top5):
    images = [photo(p) for p in PHOTOS]
    want = dict(zip(PHOTOS, classify_top5(INT8, images)))
    before = http("GET", server.base + "/metrics")[2].decode()
    results, errors = [], []

    def client(i):
        conn = http_client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        try:
            for j in range(3):
                name = PHOTOS[(i + j) % len(PHOTOS)]
                body, headers = image_request([photo(name)])
                conn.request("POST", "/v2/models/mnv2_int8/infer", body, headers)
                r = conn.getresponse()
                data = r.read()
                results.append((name, r.status, data))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 72
    for name, status, data in results:
        assert status == 200, data
        assert top_indices(json.loads(data)) == [want[name]]
    after = http("GET", server.base + "/metrics")[2].decode()
    batches = metric(after, "inr_inference_batch_size_count", model="mnv2_int8") - \
        (metric(before, "inr_inference_batch_size_count", model="mnv2_int8") or 0)
    rows = metric(after, "inr_inference_batch_size_sum", model="mnv2_int8") - \
        (metric(before, "inr_inference_batch_size_sum", model="mnv2_int8") or 0)
    assert rows == 72
    assert batches < 72, "24 parallel clients never shared a batch"


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (Debian package wrk)")
def test_wrk_short_run_has_no_errors(server, tmp_path):
    inputs, _ = reference_inputs()
    header = tensor_header(size=602112, outputs=[{"name": "output", "parameters": {"classification": 5}}])
    (tmp_path / "body.bin").write_bytes(header + inputs[0])
    script = tmp_path / "post.lua"
    script.write_text(
        'local f = io.open("%s", "rb")\nwrk.body = f:read("*a")\nf:close()\nwrk.method = "POST"\n'
        'wrk.headers["Inference-Header-Content-Length"] = "%d"\n'
        'wrk.headers["Content-Type"] = "application/octet-stream"\n' % (tmp_path / "body.bin", len(header)))
    r = subprocess.run(["wrk", "-t2", "-c16", "-d3s", "--timeout", "30s", "-s", str(script),
                        f"{server.base}/v2/models/mnv2/infer"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Non-2xx" not in r.stdout and "Socket errors" not in r.stdout, r.stdout
    assert int(re.search(r"(\d+) requests in", r.stdout).group(1)) > 0


# ---- a full queue, SIGTERM ----

def test_full_queue_is_503_and_a_slow_request_times_out():
    need_data()
    with tempfile.TemporaryDirectory() as d:
        s = Server(make_repository(d), "--max-batch", "1", "--max-queue", "1", "--request-timeout-ms", "2000")
        try:
            # A client that sends half a request and stalls is cut off after --request-timeout-ms.
            with socket.create_connection(("127.0.0.1", s.port), timeout=30) as c:
                c.sendall(b"POST /v2/models/mnv2/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
                t0 = time.time()
                assert c.recv(1024) == b""  # closed, no response
                assert 1.5 < time.time() - t0 < 20

            results = []
            body, headers = image_request([photo("grace_hopper.jpg")])

            def one():
                results.append(http("POST", s.base + "/v2/models/mnv2/infer", body, headers))

            threads = [threading.Thread(target=one) for _ in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            codes = sorted(r[0] for r in results)
            assert set(codes) == {200, 503}, codes
            for status, _, data in results:
                if status == 503:
                    assert "queue of model 'mnv2' is full" in json.loads(data)["error"]
        finally:
            assert s.stop() == 0, s.log()


def test_sigterm_during_load_answers_every_accepted_request():
    need_data()
    with tempfile.TemporaryDirectory() as d:
        s = Server(make_repository(d), "--max-batch", "4", "--max-delay-ms", "2")
        body, headers = image_request([photo("dog.jpg")])
        ok, failures, bad = [], [], []
        started = threading.Event()
        lock = threading.Lock()

        def client():
            conn = http_client.HTTPConnection("127.0.0.1", s.port, timeout=60)
            while True:
                try:
                    conn.request("POST", "/v2/models/mnv2_int8/infer", body, headers)
                    r = conn.getresponse()
                    data = r.read()
                except (ConnectionError, http_client.RemoteDisconnected, OSError) as e:
                    # No response at all: the request was never read by the server (connection closed
                    # or refused after the drain began).
                    with lock:
                        failures.append(repr(e))
                    return
                with lock:
                    if r.status == 200 and top_indices(json.loads(data))[0][0] == 258:
                        ok.append(1)
                    else:
                        bad.append((r.status, data[:200]))
                started.set()
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http_client.HTTPConnection("127.0.0.1", s.port, timeout=60)

        threads = [threading.Thread(target=client) for _ in range(16)]
        for t in threads:
            t.start()
        try:
            assert started.wait(120)
            time.sleep(1.0)
        finally:
            rc = s.stop()
        for t in threads:
            t.join(120)
        log = s.log()
        assert rc == 0, log
        assert not bad, bad
        sent = int(re.search(r"stopped: (\d+) inference results sent", log).group(1))
        # Every response the server sent arrived as a complete, correct 200, and every 200 the clients got
        # is one the server counted: nothing accepted was dropped.
        assert sent == len(ok), (sent, len(ok), log)
        assert len(ok) > 16
        assert "drain timeout" not in log
