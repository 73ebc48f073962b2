"""inr.quantize(): `inr quantize` as a function: the same model bytes and the summary `--json` prints."""
import json

import numpy as np
import pytest

import inr
from conftest import FP32

CASES = [
    ("fp16", {}, []),
    ("dynamic", {"per_tensor": True}, ["--per-tensor"]),
    ("static", {"calib_count": 3, "format": "qop", "target": "avx2", "calib": "percentile", "percentile": 99.9},
     ["--calib-count", "3", "--format", "qop", "--target", "avx2", "--calib", "percentile", "--percentile", "99.9"]),
    ("static", {"calib_count": 2, "exclude": ["Conv_0_quant", "Conv_2_quant"], "resize": 240, "crop": 224},
     ["--calib-count", "2", "--exclude", "Conv_0_quant,Conv_2_quant", "--resize", "240", "--crop", "224"]),
    ("static", {"calib_count": 2, "weight_bits": 4, "export_encodings": True},
     ["--calib-count", "2", "--weight-bits", "4", "--export-encodings"]),
]


@pytest.mark.filterwarnings("ignore:left float")
@pytest.mark.parametrize("mode,kwargs,flags", CASES, ids=["fp16", "dynamic", "static-qop", "static-qdq",
                                                                     "static-w4-encodings"])
def test_same_model_and_summary_as_the_cli(data_dir, cli, tmp_path, mode, kwargs, flags):
    calib = ["--calib-data", data_dir / "imagenet" / "val"] if mode == "static" else []
    if mode == "static":
        kwargs = dict(kwargs, calib_data=data_dir / "imagenet" / "val")
    r = cli("quantize", "-m", FP32, "-o", tmp_path / "cli.onnx", "--mode", mode, *calib, *flags, "--json")
    expected = json.loads(r.stdout)
    got = inr.quantize(FP32, tmp_path / "py.onnx", mode, **kwargs)
    assert (tmp_path / "py.onnx").read_bytes() == (tmp_path / "cli.onnx").read_bytes()
    assert got["output"] == str(tmp_path / "py.onnx") and expected["output"] == str(tmp_path / "cli.onnx")
    del got["output"], expected["output"]
    if kwargs.get("export_encodings"):  # beside each model, with the same grids
        assert got.pop("encodings") == str(tmp_path / "py.encodings")
        assert expected.pop("encodings") == str(tmp_path / "cli.encodings")
        assert (tmp_path / "py.encodings").read_bytes() == (tmp_path / "cli.encodings").read_bytes()
    assert got == expected
    assert got["schema"]["name"] == "inr.quantize.summary"
    assert got["nodes_quantized"] > 0 and got["bytes_after"] == (tmp_path / "py.onnx").stat().st_size
    if mode == "static":
        assert got["images_used"] == kwargs["calib_count"] and got["images_failed"] == 0


def test_left_float_nodes_are_warnings(data_dir, tmp_path):
    with pytest.warns(UserWarning, match=r"^left float: node Conv_0_quant \(Conv\): excluded"):
        s = inr.quantize(FP32, tmp_path / "d.onnx", "dynamic", exclude="Conv_0_quant")
    assert s["left_float"] == ["node Conv_0_quant (Conv): excluded"]


def test_quantized_model_runs(data_dir, tmp_path):
    inr.quantize(FP32, tmp_path / "d.onnx", "dynamic")
    x = inr.preprocess(data_dir / "images" / "dog.jpg")
    (ref,) = inr.InferenceSession(FP32, threads=1).run(None, {"input": x})
    (y,) = inr.InferenceSession(tmp_path / "d.onnx", threads=1).run(None, {"input": x})
    assert np.argmax(y) == np.argmax(ref)


def test_errors(data_dir, cli, tmp_path):
    out = tmp_path / "out.onnx"
    with pytest.raises(inr.InrError) as e:
        inr.quantize(FP32, out, "static")
    r = cli("quantize", "-m", FP32, "-o", out, "--mode", "static", check=False)
    assert r.returncode == 1 and r.stderr == f"inr: error: {e.value}\n"
    with pytest.raises(inr.InrError, match="mode must be fp16, dynamic or static, got 'int4'"):
        inr.quantize(FP32, out, "int4")
    with pytest.raises(inr.InrError, match="does not exist"):
        inr.quantize(FP32, tmp_path / "no" / "such" / "dir.onnx", "dynamic")
    with pytest.raises(inr.InrError, match="--target avx2"):
        inr.quantize(FP32, out, "dynamic", target="avx2", weight="u8")
    with pytest.raises(inr.InrError, match="kl"):
        inr.quantize(FP32, out, "static", calib="kl", calib_data=data_dir / "imagenet" / "val")
    with pytest.raises(TypeError, match="unexpected keyword argument 'calibration'"):
        inr.quantize(FP32, out, "dynamic", calibration="minmax")
    assert not out.exists()


def test_distributed_calibration_gives_the_cli_bytes(data_dir, cli, tmp_path):
    """Two shards through the module, merged through the module, equal one CLI calibration."""
    val = data_dir / "imagenet" / "val"
    common = {"calib": "l2", "calib_batch": 4}
    r = cli("quantize", "-m", FP32, "-o", tmp_path / "cli.onnx", "--mode", "static", "--calib", "l2",
            "--calib-data", val, "--calib-count", "10", "--calib-batch", "4")
    files = []
    for k in (1, 2):
        files.append(tmp_path / f"obs-{k}.bin")
        s = inr.quantize(FP32, None, "static", calib_data=val, calib_count=10, calib_shard=f"{k}/2",
                         save_observers=files[-1], **common)
        assert s["schema"]["name"] == "inr.quantize.observers_summary" and s["shard"] == f"{k}/2"
    s = inr.quantize(FP32, tmp_path / "py.onnx", "static", observers=files, **common)
    assert s["images_used"] == 10 and s["observer_shards"] == 2
    assert (tmp_path / "py.onnx").read_bytes() == (tmp_path / "cli.onnx").read_bytes()
    with pytest.raises(inr.InrError, match="missing calibration shard 2/2"):
        inr.quantize(FP32, tmp_path / "x.onnx", "static", observers=files[:1], **common)
