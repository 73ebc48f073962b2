"""inr.InferenceSession: ONNX Runtime's API, the same bytes as `inr run`, errors, zero-copy input, the GIL."""
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import inr
from conftest import FP32, INT8


def tiny_model(path, dims, dtype=TensorProto.FLOAT):
    """y = Relu(x) with x's dims as given (int, str dim_param, or None for neither)."""
    def value(name):
        vi = helper.make_tensor_value_info(name, dtype, None)
        shape = vi.type.tensor_type.shape
        for d in dims:
            dim = shape.dim.add()
            if isinstance(d, int):
                dim.dim_value = d
            elif isinstance(d, str):
                dim.dim_param = d
        return vi

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "tiny", [value("x")], [value("y")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return str(path)


def test_inputs_and_outputs_like_onnxruntime(data_dir, tmp_path):
    for model in (FP32, INT8):
        s = inr.InferenceSession(model)
        (i,), (o,) = s.get_inputs(), s.get_outputs()
        # What onnxruntime.InferenceSession reports for these models.
        assert (i.name, i.type, i.shape) == ("input", "tensor(float)", ["batch_size", 3, 224, 224])
        assert (o.name, o.type, o.shape) == ("output", "tensor(float)", ["batch_size", 1000])
        assert repr(i) == "NodeArg(name='input', type='tensor(float)', shape=['batch_size', 3, 224, 224])"
    # A dynamic dim without a name is None; other element types get ORT's names.
    s = inr.InferenceSession(tiny_model(tmp_path / "u8.onnx", [None, "n", 5], TensorProto.UINT8))
    assert s.get_inputs()[0].shape == [None, "n", 5]
    assert s.get_inputs()[0].type == "tensor(uint8)"
    s = inr.InferenceSession(tiny_model(tmp_path / "f16.onnx", [2], TensorProto.FLOAT16))
    assert s.get_outputs()[0].type == "tensor(float16)"
    assert s.get_outputs()[0].shape == [2]


@pytest.mark.parametrize("model", [FP32, INT8], ids=["fp32", "int8"])
def test_outputs_bit_identical_to_inr_run(data_dir, cli, tmp_path, model):
    x = np.random.default_rng(7).standard_normal((2, 3, 224, 224), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    cli("run", "-m", model, "--input", tmp_path / "x.npy", "--output-dir", tmp_path / "out", "--threads", "2")
    expected = np.load(tmp_path / "out" / "output.npy")
    (y,) = inr.InferenceSession(model, threads=2).run(None, {"input": x})
    assert y.dtype == expected.dtype and y.shape == expected.shape == (2, 1000)
    assert y.tobytes() == expected.tobytes()


def test_output_names_select_and_order(data_dir):
    s = inr.InferenceSession(FP32, threads=1)
    x = np.zeros((1, 3, 224, 224), np.float32)
    (all_,) = s.run(None, {"input": x})
    (named,) = s.run(["output"], {"input": x})
    (empty,) = s.run([], {"input": x})
    assert np.array_equal(all_, named) and np.array_equal(all_, empty)
    with pytest.raises(inr.InrError, match=r"^'logits' is not an output of the model \(outputs: output\)$"):
        s.run(["logits"], {"input": x})


def test_errors_raise_inr_error_with_the_one_line_message(data_dir, cli, tmp_path):
    assert issubclass(inr.InrError, RuntimeError)
    missing = tmp_path / "missing.onnx"
    with pytest.raises(inr.InrError) as e:
        inr.InferenceSession(missing)
    # The message the CLI prints after "inr: error: ".
    r = cli("info", "-m", missing, check=False)
    assert r.returncode == 1 and r.stderr == f"inr: error: {e.value}\n"
    assert "\n" not in str(e.value)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(inr.InrError, match="bad.onnx"):
        inr.InferenceSession(bad)

    s = inr.InferenceSession(FP32, threads=1)
    x = np.zeros((1, 3, 224, 224), np.float32)
    with pytest.raises(inr.InrError, match=r"^no value given for input 'input'$"):
        s.run(None, {})
    with pytest.raises(inr.InrError, match=r"^'image' is not an input of the model \(inputs: input\)$"):
        s.run(None, {"input": x, "image": x})
    with pytest.raises(inr.InrError, match=r"^input 'input': dtype float64, the model expects float32 "):
        s.run(None, {"input": x.astype(np.float64)})
    with pytest.raises(inr.InrError, match=r"^input 'input': expected a numpy.ndarray, got list$"):
        s.run(None, {"input": x.tolist()})
    with pytest.raises(inr.InrError, match="224"):  # a wrong spatial size fails in shape inference
        s.run(None, {"input": np.zeros((1, 3, 224, 100), np.float32)})
    with pytest.raises(inr.InrError, match="unknown backend 'gpu'"):
        inr.InferenceSession(FP32, backend="gpu")
    with pytest.raises(TypeError):
        s.run(None, [x])


def test_outputs_own_their_buffers(data_dir):
    s = inr.InferenceSession(FP32, threads=1)
    x = np.zeros((1, 3, 224, 224), np.float32)
    (y1,) = s.run(None, {"input": x})
    (y2,) = s.run(None, {"input": x})
    # Each run's result is its own buffer handed to numpy (no copy): not numpy's allocation, writable, and
    # alive after the session is gone.
    assert not y1.flags.owndata and y1.flags.writeable and y1.flags.c_contiguous
    assert type(y1.base).__name__ == "PyCapsule"
    assert y1.ctypes.data != y2.ctypes.data
    expected = y1.copy()
    del s
    gc.collect()
    y2[...] = 0  # the other result is independent
    assert np.array_equal(y1, expected)


def test_other_memory_layouts_are_copied_once_and_give_the_same_result(data_dir):
    s = inr.InferenceSession(FP32, threads=1)
    x = np.random.default_rng(3).standard_normal((1, 3, 224, 224), dtype=np.float32)
    (ref,) = s.run(None, {"input": x})
    fortran = np.asfortranarray(x)
    strided = np.repeat(x, 2, axis=3)[..., ::2]
    readonly = x.copy()
    readonly.flags.writeable = False
    for variant in (fortran, strided, readonly):
        assert np.array_equal(variant, x)
        (y,) = s.run(None, {"input": variant})
        assert y.tobytes() == ref.tobytes()


ZERO_COPY_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import inr

    def hwm_kib():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    def peak_growth_kib(sess, x):
        open("/proc/self/clear_refs", "w").write("5")  # resets VmHWM to the current RSS
        before = hwm_kib()
        sess.run(None, {"x": x})
        return hwm_kib() - before

    n = 16 * 1024 * 1024  # 64 MiB of float32
    sess = inr.InferenceSession(sys.argv[1], threads=1)
    contiguous = np.ones(n, np.float32)
    strided = np.ones(2 * n, np.float32)[::2]
    sess.run(None, {"x": contiguous})  # plans the graph and allocates the arena once
    print(peak_growth_kib(sess, contiguous), peak_growth_kib(sess, strided))
""")


def test_contiguous_input_is_not_copied(tmp_path):
    """A run with a C-contiguous array of the model's dtype allocates no second input buffer; a strided one
    (documented: copied once) does, which shows the measurement would see a copy."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [16 * 1024 * 1024])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [])
    node = helper.make_node("ReduceMean", ["x"], ["y"], axes=[0], keepdims=0)
    model = helper.make_model(helper.make_graph([node], "big", [x], [y]), opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, str(tmp_path / "big.onnx"))
    r = subprocess.run([sys.executable, "-c", ZERO_COPY_SCRIPT, str(tmp_path / "big.onnx")], capture_output=True,
                       text=True, check=True)
    contiguous_kib, strided_kib = map(int, r.stdout.split())
    input_kib = 64 * 1024
    assert contiguous_kib < input_kib // 8, r.stdout
    assert strided_kib >= input_kib * 9 // 10, r.stdout


def test_gil_released_during_run(data_dir):
    """A second Python thread keeps running while run() computes."""
    s = inr.InferenceSession(FP32, threads=1)
    x = np.zeros((16, 3, 224, 224), np.float32)
    s.run(None, {"input": x})  # plan and warm up outside the measured run
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.05)
    start = time.perf_counter()
    s.run(None, {"input": x})
    end = time.perf_counter()
    stop.set()
    t.join()
    inside = [tick for tick in ticks if start < tick < end]
    # With the GIL held for the whole run the ticker could not wake up at all inside it.
    assert end - start > 0.05, "the run is too short to tell"
    assert len(inside) >= 10, f"{len(inside)} ticks in a {1000 * (end - start):.0f} ms run"


def test_runs_from_several_python_threads(data_dir):
    """Concurrent runs from worker threads (serialised by the session) give the bytes of the creating thread's."""
    s = inr.InferenceSession(FP32, threads=2)
    x = np.random.default_rng(5).standard_normal((2, 3, 224, 224), dtype=np.float32)
    (ref,) = s.run(None, {"input": x})
    results = []
    workers = [threading.Thread(target=lambda: results.append(s.run(None, {"input": x})[0])) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(results) == 3 and all(r.tobytes() == ref.tobytes() for r in results)


@pytest.mark.parametrize("env,expected", [({}, "GOMP_SPINCOUNT = '1000'"),
                                          ({"OMP_WAIT_POLICY": "passive"}, "GOMP_SPINCOUNT = '0'")])
def test_openmp_wait_policy_like_the_cli(env, expected):
    """Importing inr gives libgomp the CLI's short spin (tools/cli/main.cc) unless the user chose a policy."""
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    r = subprocess.run([sys.executable, "-c", "import inr"], capture_output=True, text=True, check=True,
                       env={**base, **env, "OMP_DISPLAY_ENV": "verbose"})
    assert expected in r.stderr
