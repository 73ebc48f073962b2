#!/usr/bin/python3
"""Small classifier graphs of the model families inr must run, with seeded random weights, for the tests
that compare inr with ONNX Runtime (tests/models/family_graphs_test.cc). No PyTorch: onnx.helper + numpy.

    family_graphs.py OUTDIR [NAME...]   writes OUTDIR/<name>_{legacy,modern}.onnx for the graphs named (all
                                        by default) and OUTDIR/list.tsv (name, the model inr runs, the model
                                        ORT runs, input shape)

Old-opset graphs (the ONNX zoo's classic classifiers: bvlc_alexnet, googlenet, Caffe2 resnet50, squeezenet
at opset 3 / 6) are written twice from the same weights: once in the legacy form inr must import as it is
(Reshape-1's shape attribute, Concat-1 without axis, consumed_inputs, is_test, Add/Mul with
broadcast/axis, Gemm broadcast, Pad-1 paddings, Cast-1's type name) and once as the same network at
opset 13, which ONNX Runtime runs (ORT has no kernels for BatchNormalization-1/6 or Add-6 and below, and
onnx's version converter fails on such models). Each change between the two forms follows the ONNX
operator changelog; inr runs the legacy file and ORT the modern one.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CLASSES = 1000


class Builder:
    """Builds one network in two spellings: `legacy` (opset `old`) and `modern` (opset 13)."""

    def __init__(self, name, old, seed):
        self.name, self.old = name, old
        self.rng = np.random.default_rng(seed)
        self.inits = []
        self.legacy, self.modern = [], []
        self.count = 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, array):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, hint, shape, fan_in):
        return self.const(hint, (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32))

    def both(self, op, inputs, outputs=None, legacy_attrs=None, **attrs):
        out = outputs or [self.fresh(op.lower())]
        self.legacy.append(helper.make_node(op, inputs, out, **attrs, **(legacy_attrs or {})))
        self.modern.append(helper.make_node(op, inputs, out, **attrs))
        return out[0]

    def split(self, legacy_node, modern_nodes):
        self.legacy.append(legacy_node)
        self.modern.extend(modern_nodes)

    # Layers -------------------------------------------------------------------------------------------
    def conv(self, x, cin, cout, k, stride=1, pad=0, bias=True, group=1):
        w = self.weight("w", (cout, cin // group, k, k), cin // group * k * k)
        ins = [x, w] + ([self.const("b", (self.rng.standard_normal(cout) * 0.1).astype(np.float32))] if bias else [])
        return self.both("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, group=group)

    def relu(self, x):
        return self.both("Relu", [x], legacy_attrs={"consumed_inputs": [0]} if self.old < 6 else None)

    def batchnorm(self, x, c):
        scale = self.const("bn_scale", (1 + 0.1 * self.rng.standard_normal(c)).astype(np.float32))
        shift = self.const("bn_shift", (0.1 * self.rng.standard_normal(c)).astype(np.float32))
        mean = self.const("bn_mean", (0.1 * self.rng.standard_normal(c)).astype(np.float32))
        var = self.const("bn_var", (0.5 + self.rng.random(c)).astype(np.float32))
        legacy = {"is_test": 1, "spatial": 1}
        if self.old < 6:
            legacy["consumed_inputs"] = [0, 0, 0, 1, 1]
        return self.both("BatchNormalization", [x, scale, shift, mean, var], epsilon=1e-5, legacy_attrs=legacy)

    def channel_bias(self, x, c):
        """Add of a per-channel constant: legacy broadcast=1 axis=1 with B = [C]; modern B = [C, 1, 1]."""
        b = (0.1 * self.rng.standard_normal(c)).astype(np.float32)
        out = self.fresh("add")
        legacy_b, modern_b = self.const("cb", b), self.const("cb4", b.reshape(c, 1, 1))
        self.split(helper.make_node("Add", [x, legacy_b], [out], broadcast=1, axis=1),
                   [helper.make_node("Add", [x, modern_b], [out])])
        return out

    def channel_gate(self, x, c):
        """x * sigmoid(mean over HW) with a computed B: legacy Mul broadcast=1 axis=0 with B = [N, C]
        (Reshape-1 of the pooled [N, C, 1, 1]); modern: B stays [N, C, 1, 1]."""
        pooled = self.both("GlobalAveragePool", [x])
        gate = self.both("Sigmoid", [pooled])
        flat, out = self.fresh("gate2d"), self.fresh("mul")
        shape = self.const("gshape", np.array([0, c], dtype=np.int64))
        self.split(helper.make_node("Reshape", [gate], [flat], shape=[0, c]) if self.old < 5 else
                   helper.make_node("Reshape", [gate, shape], [flat]),
                   [helper.make_node("Reshape", [gate, shape], [flat])])
        self.legacy.append(helper.make_node("Mul", [x, flat], [out], broadcast=1, axis=0))
        flat4 = self.fresh("gate4d")
        self.modern.append(helper.make_node("Reshape", [flat, self.const("g4", np.array([0, c, 1, 1], dtype=np.int64))], [flat4]))
        self.modern.append(helper.make_node("Mul", [x, flat4], [out]))
        return out

    def sum(self, a, b):
        return self.both("Sum", [a, b], legacy_attrs={"consumed_inputs": [0, 0]} if self.old < 6 else None)

    def lrn(self, x):
        return self.both("LRN", [x], size=5, alpha=1e-4, beta=0.75, bias=1.0)

    def maxpool(self, x, k, stride, pad=0):
        return self.both("MaxPool", [x], kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)

    def avgpool(self, x, k, stride, pad=0):
        return self.both("AveragePool", [x], kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)

    def concat(self, xs):
        """Concat over channels: opset 1..3 leaves axis out (default 1)."""
        out = self.fresh("concat")
        self.split(helper.make_node("Concat", xs, [out]) if self.old < 4 else helper.make_node("Concat", xs, [out], axis=1),
                   [helper.make_node("Concat", xs, [out], axis=1)])
        return out

    def pad(self, x, pads):
        out = self.fresh("pad")
        legacy = helper.make_node("Pad", [x], [out], paddings=pads, value=0.0) if self.old < 2 else \
            helper.make_node("Pad", [x], [out], pads=pads, value=0.0)
        self.split(legacy, [helper.make_node("Pad", [x, self.const("pads", np.array(pads, dtype=np.int64))], [out])])
        return out

    def cast_float(self, x):
        out = self.fresh("cast")
        self.split(helper.make_node("Cast", [x], [out], to="FLOAT") if self.old < 6 else
                   helper.make_node("Cast", [x], [out], to=TensorProto.FLOAT),
                   [helper.make_node("Cast", [x], [out], to=TensorProto.FLOAT)])
        return out

    def flatten_to(self, x, features, out=None):
        """Reshape to [N, features]: Reshape-1's shape attribute (opsets 1..4) or the shape input."""
        out = out or self.fresh("flat")
        shape = self.const("shape", np.array([-1, features], dtype=np.int64))
        legacy = helper.make_node("Reshape", [x], [out], shape=[-1, features]) if self.old < 5 else \
            helper.make_node("Reshape", [x, shape], [out])
        self.split(legacy, [helper.make_node("Reshape", [x, shape], [out])])
        return out

    def dropout(self, x):
        return self.both("Dropout", [x], legacy_attrs={"is_test": 1, "ratio": 0.5})

    def fc(self, x, features, out="logits"):
        w = self.weight("fc_w", (CLASSES, features), features)
        b = self.const("fc_b", (0.1 * self.rng.standard_normal(CLASSES)).astype(np.float32))
        return self.both("Gemm", [x, w, b], [out], transB=1, legacy_attrs={"broadcast": 1})

    def softmax(self, x):
        return self.both("Softmax", [x], ["prob"])

    def save(self, outdir, input_shape):
        rows = []
        for form, nodes, opset in (("legacy", self.legacy, self.old), ("modern", self.modern, 13)):
            used = {name for n in nodes for name in n.input}
            inits = [i for i in self.inits if i.name in used]
            inputs = [helper.make_tensor_value_info("data", TensorProto.FLOAT, input_shape)]
            if form == "legacy":  # ir_version 3 (the zoo's) lists initializers among the graph inputs
                inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
            graph = helper.make_graph(nodes, self.name, inputs,
                                      [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [input_shape[0], CLASSES]),
                                       helper.make_tensor_value_info("prob", TensorProto.FLOAT, [input_shape[0], CLASSES])],
                                      inits)
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="family_graphs.py")
            model.ir_version = 3 if form == "legacy" else 7
            onnx.checker.check_model(model)
            path = os.path.join(outdir, f"{self.name}_{form}.onnx")
            onnx.save(model, path + ".tmp")
            os.replace(path + ".tmp", path)
            rows.append(path)
        return rows


def alexnet(old):
    """bvlc_alexnet's structure (Caffe's AlexNet: grouped convs, LRN, 3 fc layers), narrowed."""
    b = Builder(f"alexnet_opset{old}", old, seed=100 + old)
    x = b.relu(b.conv("data", 3, 24, 11, stride=4, pad=0))
    x = b.maxpool(b.lrn(x), 3, 2)
    x = b.relu(b.conv(x, 24, 32, 5, pad=2, group=2))
    x = b.maxpool(b.lrn(x), 3, 2)
    x = b.relu(b.conv(x, 32, 48, 3, pad=1))
    x = b.relu(b.conv(x, 48, 48, 3, pad=1, group=2))
    x = b.relu(b.conv(x, 48, 32, 3, pad=1, group=2))
    x = b.maxpool(x, 3, 2)  # 99 -> 23 -> 11 -> 5 -> 2
    x = b.dropout(b.relu(b.both("Gemm", [b.flatten_to(x, 32 * 2 * 2), b.weight("w6", (64, 128), 128),
                                                b.const("b6", np.zeros(64, np.float32))],
                                        transB=1, legacy_attrs={"broadcast": 1})))
    b.softmax(b.fc(x, 64))
    return b, [1, 3, 99, 99]


def googlenet(old):
    """The zoo googlenet's structure: stem with LRN, inception blocks (Concat of four branches incl. a
    max-pool branch), average pool, dropout, fc; plus a Pad-1 and a Cast-1 for those ops' old forms."""
    b = Builder(f"googlenet_opset{old}", old, seed=200 + old)

    def inception(x, cin, c1, c3r, c3, c5r, c5, cp):
        a = b.relu(b.conv(x, cin, c1, 1))
        t = b.relu(b.conv(b.relu(b.conv(x, cin, c3r, 1)), c3r, c3, 3, pad=1))
        u = b.relu(b.conv(b.relu(b.conv(x, cin, c5r, 1)), c5r, c5, 5, pad=2))
        p = b.relu(b.conv(b.maxpool(x, 3, 1, pad=1), cin, cp, 1))
        return b.concat([a, t, u, p]), c1 + c3 + c5 + cp

    x = b.cast_float(b.pad("data", [0, 0, 1, 1, 0, 0, 2, 2]))  # 63x63 -> 66x66
    x = b.relu(b.conv(x, 3, 16, 7, stride=2, pad=3))          # 33
    x = b.lrn(b.maxpool(x, 3, 2))                              # 16
    x = b.relu(b.conv(b.relu(b.conv(x, 16, 16, 1)), 16, 32, 3, pad=1))
    x = b.maxpool(b.lrn(x), 3, 2)                              # 7
    x, c = inception(x, 32, 8, 12, 16, 4, 8, 8)
    x, c = inception(x, c, 16, 12, 16, 4, 8, 8)
    x = b.dropout(b.avgpool(x, 7, 1))
    b.softmax(b.fc(b.flatten_to(x, c), c))
    return b, [1, 3, 63, 63]


def caffe2_resnet(old):
    """Caffe2's resnet50 export: BatchNormalization with is_test/spatial (and consumed_inputs at opset 1..5),
    Sum for the residual adds, Add with broadcast/axis for a per-channel bias, and a channel gate (Mul with
    a computed B under legacy broadcast) for the non-constant case."""
    b = Builder(f"caffe2_resnet_opset{old}", old, seed=300 + old)
    x = b.relu(b.batchnorm(b.conv("data", 3, 16, 7, stride=2, pad=3, bias=False), 16))
    x = b.maxpool(x, 3, 2, pad=1)  # 56 -> 28 -> 14

    def block(x, cin, cout, stride):
        y = b.relu(b.batchnorm(b.conv(x, cin, cout, 3, stride=stride, pad=1, bias=False), cout))
        y = b.batchnorm(b.conv(y, cout, cout, 3, pad=1, bias=False), cout)
        s = x if stride == 1 and cin == cout else b.batchnorm(b.conv(x, cin, cout, 1, stride=stride, bias=False), cout)
        return b.relu(b.sum(y, s))

    x = block(x, 16, 16, 1)
    x = b.channel_bias(x, 16)
    x = block(x, 16, 32, 2)
    x = b.channel_gate(x, 32)
    x = b.avgpool(x, 7, 1)
    b.softmax(b.fc(b.flatten_to(x, 32), 32))
    return b, [2, 3, 56, 56]


def squeezenet(old):
    """squeezenet1.0: fire modules (squeeze 1x1, expand 1x1 + 3x3 concatenated), dropout, a conv
    classifier and global average pooling."""
    b = Builder(f"squeezenet_opset{old}", old, seed=400 + old)
    x = b.maxpool(b.relu(b.conv("data", 3, 24, 7, stride=2)), 3, 2)  # 71 -> 33 -> 16

    def fire(x, cin, s, e):
        q = b.relu(b.conv(x, cin, s, 1))
        return b.concat([b.relu(b.conv(q, s, e, 1)), b.relu(b.conv(q, s, e, 3, pad=1))]), 2 * e

    x, c = fire(x, 24, 8, 16)
    x, c = fire(x, c, 8, 16)
    x = b.maxpool(x, 3, 2)  # 7
    x, c = fire(x, c, 12, 24)
    x = b.relu(b.conv(b.dropout(x), c, CLASSES, 1))
    b.softmax(b.flatten_to(b.both("GlobalAveragePool", [x]), CLASSES, out="logits"))
    return b, [1, 3, 71, 71]


GRAPHS = [(alexnet, 3), (alexnet, 6), (googlenet, 1), (googlenet, 3), (caffe2_resnet, 3), (caffe2_resnet, 6),
          (squeezenet, 3)]


def main():
    outdir, wanted = sys.argv[1], set(sys.argv[2:])
    os.makedirs(outdir, exist_ok=True)
    lines = []
    for make, old in GRAPHS:
        if wanted and f"{make.__name__}_opset{old}" not in wanted:
            continue
        builder, shape = make(old)
        legacy, modern = builder.save(outdir, shape)
        lines.append("\t".join([builder.name, legacy, modern, ",".join(map(str, shape))]))
    if wanted and len(lines) != len(wanted):
        sys.exit(f"family_graphs.py: unknown graph name among {sorted(wanted)}")
    with open(os.path.join(outdir, "list.tsv.tmp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(os.path.join(outdir, "list.tsv.tmp"), os.path.join(outdir, "list.tsv"))


if __name__ == "__main__":
    main()
