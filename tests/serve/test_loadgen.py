"""`inr loadgen`: the three scenarios on a local model and against `inr serve`, their JSON, and bad usage."""
import json
import subprocess
import tempfile

import pytest

from conftest import CLI, FP32, Server, make_repository, need_data


def loadgen(*args, check=True):
    r = subprocess.run([CLI, "loadgen", *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def url():
    need_data()
    with tempfile.TemporaryDirectory() as d:
        s = Server(make_repository(d), "--max-batch", "4", "--max-delay-ms", "2")
        yield f"{s.base}/v2/models/mnv2_int8"
        assert s.stop() == 0, s.log()


def test_single_stream_local_json():
    need_data()
    j = json.loads(loadgen("-m", FP32, "--threads", "2", "--scenario", "SingleStream", "--duration", "0",
                           "--min-queries", "6", "--latency-bound-ms", "100000", "--json").stdout)
    assert j["schema"] == {"name": "inr.loadgen", "version": 1}
    assert j["system"]["model"]["sha256"] and j["cpu_tier"] and "not an MLPerf result" in j["note"]
    r = j["result"]
    assert r["scenario"] == "SingleStream" and r["queries"] == 6 and r["samples"] == 6
    lat = r["latency_ms"]
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert r["percentile"] == 90 and r["bound_held"] is True and r["valid"] is True
    assert r["qps"] == pytest.approx(6 / r["duration_s"])


def test_single_stream_bound_not_held_is_reported():
    need_data()
    r = loadgen("-m", FP32, "--threads", "2", "--scenario", "SingleStream", "--duration", "0", "--min-queries", "3",
                "--latency-bound-ms", "0.001")
    assert "NOT held (INVALID)" in r.stdout


def test_offline_local_counts_samples():
    need_data()
    j = json.loads(loadgen("-m", FP32, "--threads", "2", "--scenario", "Offline", "--samples", "10", "--batch", "4",
                           "--json").stdout)
    r = j["result"]
    assert r["queries"] == 3 and r["samples"] == 10  # 4 + 4 + 2
    assert r["samples_per_s"] == pytest.approx(10 / r["duration_s"])


def test_server_scenario_against_inr_serve(url):
    j = json.loads(loadgen("--url", url, "--scenario", "Server", "--qps", "20", "--latency-bound-ms", "100000",
                           "--duration", "1", "--min-queries", "20", "--concurrency", "8", "--json").stdout)
    r = j["result"]
    assert j["system"]["url"] == url and j["system"]["metadata"]["name"] == "mnv2_int8"
    assert r["scenario"] == "Server" and r["queries"] >= 20 and r["percentile"] == 99
    assert r["target_qps"] == 20 and r["qps"] > 0 and r["valid"] is True
    text = loadgen("--url", url, "--scenario", "Server", "--qps", "20", "--latency-bound-ms", "0.001",
                   "--duration", "0", "--min-queries", "5").stdout
    assert "QPS achieved (target 20.00)" in text and "NOT held (INVALID)" in text


def test_single_stream_and_offline_against_inr_serve(url):
    r = json.loads(loadgen("--url", url, "--scenario", "SingleStream", "--duration", "0", "--min-queries", "5",
                           "--json").stdout)["result"]
    assert r["queries"] == 5
    r = json.loads(loadgen("--url", url, "--scenario", "Offline", "--samples", "12", "--batch", "3",
                           "--concurrency", "4", "--json").stdout)["result"]
    assert r["queries"] == 4 and r["samples"] == 12


@pytest.mark.parametrize("args,message", [
    (["--scenario", "Server", "--qps", "5"], "needs --latency-bound-ms"),
    (["--url", "http://127.0.0.1:1/v2/models/x"], "not both"),
    ([], None),
])
def test_usage_errors_are_one_line(args, message):
    need_data()
    base = ["-m", FP32] if args != [] else []
    r = loadgen(*base, *args, check=False)
    assert r.returncode == 1, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("inr: error: ")
    if message:
        assert message in lines[0]


def test_unknown_model_url_is_an_error(url):
    r = loadgen("--url", url.replace("mnv2_int8", "nope"), check=False)
    assert r.returncode == 1 and "HTTP 404" in r.stderr and "unknown model 'nope'" in r.stderr
