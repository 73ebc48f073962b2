"""inr: run, preprocess, quantize, evaluate and compare ImageNet classifiers stored as ONNX, from Python.

A binding of the C++ library (pybind11). InferenceSession follows onnxruntime's API:

    import inr
    sess = inr.InferenceSession("mobilenetv2.onnx", threads=2)
    x = inr.preprocess("dog.jpg", preset="torchvision")        # [1, 3, 224, 224] float32
    (logits,) = sess.run(None, {sess.get_inputs()[0].name: x})

Every error raises inr.InrError (a RuntimeError) with inr's one-line message.
"""
import os as _os

# The OpenMP wait policy of the `inr` CLI (tools/cli/main.cc): libgomp's default long spin makes every
# oneDNN primitive stall when another process holds a core, so inr asks for a short spin unless the user
# chose a policy. libgomp reads this when it is loaded, i.e. when _inr is imported just below; it has no
# effect if another module loaded libgomp first.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = "1000"

from ._inr import (  # noqa: E402
    InferenceSession, InrError, NodeArg, __version__, compare, evaluate, preprocess, presets, quantize)

__all__ = ["InferenceSession", "InrError", "NodeArg", "compare", "evaluate", "preprocess", "presets", "quantize",
           "__version__"]
