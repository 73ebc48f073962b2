"""inr.evaluate() and inr.compare(): `inr eval` and `inr compare` as functions, with the numbers and the
JSON keys the commands' --json print (both call the same library drivers, include/inr/eval.h, compare.h)."""
import json
import warnings

import pytest

import inr
from conftest import FP32, INT8

# The keys that do not depend on timing.
STABLE = ["schema", "model", "preprocess", "dataset", "images", "failed", "top1", "top5", "top1_ci", "top5_ci",
          "top1_count", "top5_count", "batch", "threads", "failures"]


def test_evaluate_equals_the_cli(data_dir, cli):
    labels = data_dir / "imagenet" / "labels.tsv"
    r = cli("eval", "-m", FP32, "--data", labels, "--sample", "24", "--seed", "3", "--threads", "2", "--batch", "8",
            "--json")
    expected = json.loads(r.stdout)
    got = inr.evaluate(FP32, labels, sample=24, seed=3, threads=2, batch=8)
    for key in STABLE:
        assert got[key] == expected[key], key
    assert got["schema"]["name"] == "inr.eval.summary" and got["images"] == 24


def test_evaluate_journal_resumes_and_refuses_another_model(data_dir, tmp_path):
    labels = data_dir / "imagenet" / "labels.tsv"
    out = tmp_path / "preds.jsonl"
    first = inr.evaluate(FP32, labels, limit=8, threads=2, out=out)
    again = inr.evaluate(FP32, labels, limit=8, threads=2, out=out, resume=True)
    assert again["resumed"] == 8 and again["evaluated_now"] == 0 and again["top1_count"] == first["top1_count"]
    with pytest.raises(inr.InrError, match="cannot --resume: .* was made by model"):
        inr.evaluate(INT8, labels, limit=8, threads=2, out=out, resume=True)


def test_evaluate_failed_images_warn_then_raise(data_dir, tmp_path):
    d = tmp_path / "data" / "258"
    d.mkdir(parents=True)
    (d / "dog.jpg").symlink_to(data_dir / "images" / "dog.jpg")
    (d / "zz_truncated.jpg").symlink_to(data_dir / "images" / "edge" / "truncated.jpg")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(inr.InrError, match=r"1 image failed \(--max-failures 0\): 258/zz_truncated.jpg"):
            inr.evaluate(FP32, tmp_path / "data", threads=2)
    assert any("zz_truncated.jpg" in str(x.message) for x in w)
    with pytest.warns(UserWarning, match="zz_truncated.jpg"):
        ok = inr.evaluate(FP32, tmp_path / "data", threads=2, max_failures=1)
    assert ok["images"] == 1 and ok["failed"] == 1


def test_evaluate_bad_arguments(data_dir):
    with pytest.raises(inr.InrError, match="/nonexistent"):
        inr.evaluate(FP32, "/nonexistent")
    with pytest.raises(TypeError, match="unexpected keyword argument 'limt'"):
        inr.evaluate(FP32, data_dir / "imagenet" / "labels.tsv", limt=3)


def test_compare_equals_the_cli(data_dir, cli):
    labels = data_dir / "imagenet" / "labels.tsv"
    dog = data_dir / "images" / "dog.jpg"
    r = cli("compare", FP32, INT8, "--data", labels, "--limit", "16", "-i", dog, "--threads", "2",
            "--latency-runs", "2", "--json")
    expected = json.loads(r.stdout)
    got = inr.compare([FP32, INT8], data=labels, limit=16, image=dog, threads=2, latency_runs=2)
    assert got["schema"]["name"] == "inr.compare"
    assert [m["name"] for m in got["models"]] == ["A", "B"]
    for k in range(2):
        g, e = got["models"][k], expected["models"][k]
        for key in ["kind", "sha256", "params", "params_by_dtype", "top5_image"]:
            assert g[key] == e[key], (k, key)
        g["accuracy"].pop("inference_ms"), e["accuracy"].pop("inference_ms")  # timing
        assert g["accuracy"] == e["accuracy"], k
    assert got["models"][1]["vs_first"] == expected["models"][1]["vs_first"]
    assert "vs_first" not in got["models"][0]
    assert got["models"][0]["top5_image"][0]["name"] == "Samoyed"
    with pytest.raises(inr.InrError, match="at least two"):
        inr.compare([FP32])
