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

Every torchvision classifier family (class Modern for ViT/Swin/ConvNeXt/ShuffleNet, class Torch for the rest)
is one opset-13 or opset-17 file that both engines run, small, written node for node as torch.onnx writes it;
runtime_shapes is a graph whose shapes depend on the input's values.
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


# Families exported by torch.onnx at opsets 13 and 17 (torchvision 0.14's ViT, Swin, ConvNeXt, ShuffleNet v2),
# rebuilt node for node in the shapes the exporter writes, small and with seeded weights: one file that
# both inr and ORT run. LayerNorm is decomposed at opset 13 (ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/
# Mul/Add) and LayerNormalization at 17; GELU is the exact erf form at both (Gelu is opset 20).


class Modern:
    def __init__(self, name, opset, seed):
        self.name, self.opset = name, opset
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, array):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def i64(self, values):
        return self.const("i", np.array(values, dtype=np.int64))

    def f32(self, value):
        return self.const("f", np.array(value, dtype=np.float32))

    def weight(self, shape, fan_in):
        return self.const("w", (self.rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)).astype(np.float32))

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if n_out == 1 else outs

    # Layers as torch.onnx writes them ---------------------------------------------------------------
    def linear(self, x, cin, cout, bias=True):
        y = self.op("MatMul", [x, self.weight((cin, cout), cin)])
        return self.op("Add", [y, self.const("b", (0.02 * self.rng.standard_normal(cout)).astype(np.float32))]) if bias else y

    def layernorm(self, x, c):
        gamma = self.const("ln_g", (1 + 0.1 * self.rng.standard_normal(c)).astype(np.float32))
        beta = self.const("ln_b", (0.1 * self.rng.standard_normal(c)).astype(np.float32))
        if self.opset >= 17:
            return self.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-5)
        mean = self.op("ReduceMean", [x], axes=[-1])
        d = self.op("Sub", [x, mean])
        var = self.op("ReduceMean", [self.op("Pow", [d, self.f32(2.0)])], axes=[-1])
        std = self.op("Sqrt", [self.op("Add", [var, self.f32(1e-5)])])
        return self.op("Add", [self.op("Mul", [self.op("Div", [d, std]), gamma]), beta])

    def gelu(self, x):
        e = self.op("Erf", [self.op("Div", [x, self.f32(1.4142135381698608)])])
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [e, self.f32(1.0)])]), self.f32(0.5)])

    def mlp(self, x, c, hidden):
        return self.linear(self.gelu(self.linear(x, c, hidden)), hidden, c)

    def reduce_mean(self, x, axes, keepdims=1):
        return self.op("ReduceMean", [x], axes=axes, keepdims=keepdims)

    def conv(self, x, cin, cout, k, stride=1, pad=0, group=1, bias=True):
        ins = [x, self.weight((cout, cin // group, k, k), cin // group * k * k * 0.5)]
        if bias:
            ins.append(self.const("b", (0.02 * self.rng.standard_normal(cout)).astype(np.float32)))
        return self.op("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, group=group)

    def bn_relu(self, x, c, relu=True):
        y = self.op("BatchNormalization", [x, self.const("s", (1 + 0.1 * self.rng.standard_normal(c)).astype(np.float32)),
                                           self.const("t", (0.1 * self.rng.standard_normal(c)).astype(np.float32)),
                                           self.const("m", (0.1 * self.rng.standard_normal(c)).astype(np.float32)),
                                           self.const("v", (0.5 + self.rng.random(c)).astype(np.float32))], epsilon=1e-5)
        return self.op("Relu", [y]) if relu else y

    def dim(self, x, i):
        """x.shape[i] as a 1-element int64 tensor (Shape -> Gather -> Unsqueeze, the exporter's idiom)."""
        g = self.op("Gather", [self.op("Shape", [x]), self.const("idx", np.array(i, dtype=np.int64))], axis=0)
        return self.op("Unsqueeze", [g, self.i64([0])])

    def save(self, outdir, input_shape, output):
        self.nodes.append(helper.make_node("Softmax", [output], ["prob"], axis=-1))
        self.nodes.append(helper.make_node("Identity", [output], ["logits"]))
        graph = helper.make_graph(self.nodes, self.name,
                                  [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["batch"] + input_shape[1:])],
                                  [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES]),
                                   helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["batch", CLASSES])],
                                  self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="family_graphs.py")
        model.ir_version = 8
        onnx.checker.check_model(model)
        path = os.path.join(outdir, f"{self.name}.onnx")
        onnx.save(model, path + ".tmp")
        os.replace(path + ".tmp", path)
        return [path, path]


def vit(opset):
    """vit_b_16's structure: 8x8 patches of a 32x32 image, class token expanded to the batch (Expand with a
    shape computed from the input), learned position embedding, 2 pre-norm encoder blocks with 4-head
    self-attention (packed qkv projection, heads by Reshape/Transpose, Softmax over the last axis), exact
    GELU MLP, final LayerNorm, the class token's row (Gather) to the head."""
    b = Modern(f"vit_opset{opset}", opset, seed=500 + opset)
    c, heads, tokens = 32, 4, 16
    x = b.conv("data", 3, c, 8, stride=8)                                        # [N, C, 4, 4]
    n = b.dim("data", 0)
    x = b.op("Transpose", [b.op("Reshape", [x, b.op("Concat", [n, b.i64([c, -1])], axis=0)])], perm=[0, 2, 1])
    cls = b.const("cls", (0.02 * b.rng.standard_normal((1, 1, c))).astype(np.float32))
    cls = b.op("Expand", [cls, b.op("Concat", [n, b.i64([1, c])], axis=0)])  # class_token.expand(n, -1, -1)
    x = b.op("Add", [b.op("Concat", [cls, x], axis=1),
                     b.const("pos", (0.02 * b.rng.standard_normal((1, tokens + 1, c))).astype(np.float32))])
    hd = c // heads
    for _ in range(2):
        h = b.layernorm(x, c)
        qkv = b.linear(h, c, 3 * c)                                              # [N, T, 3C]
        qkv = b.op("Transpose", [b.op("Reshape", [qkv, b.i64([0, tokens + 1, 3, heads, hd])])], perm=[2, 0, 3, 1, 4])
        q, k, v = (b.op("Gather", [qkv, b.const("qkv_i", np.array(i, dtype=np.int64))], axis=0) for i in range(3))
        att = b.op("Softmax", [b.op("Mul", [b.op("MatMul", [q, b.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                                            b.f32(hd ** -0.5)])], axis=-1)
        o = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [att, v])], perm=[0, 2, 1, 3]), b.i64([0, tokens + 1, c])])
        x = b.op("Add", [x, b.linear(o, c, c)])
        x = b.op("Add", [x, b.mlp(b.layernorm(x, c), c, 2 * c)])
    x = b.op("Gather", [b.layernorm(x, c), b.const("cls_i", np.array(0, dtype=np.int64))], axis=1)
    return b, [2, 3, 32, 32], b.linear(x, c, CLASSES)


def swin(opset):
    """swin_t's structure on a 28x28 image: 4x4 patch embedding (Conv, NHWC, LayerNorm), then two blocks of
    window attention (window 4) over the 7x7 tokens, the second with shifted windows: the tokens are padded
    to 8x8 by a Pad whose pads are computed from the input's shape (Shape/Gather/Sub/Mod, as torch.onnx
    writes F.pad with sizes from x.shape), rolled by Slice + Concat, partitioned into windows by Reshape/
    Transpose, attended with a relative position bias (Gather from the table) and the shift's mask, merged
    back, rolled back and cropped by Slice; exact GELU MLPs; LayerNorm, mean over the tokens, head."""
    b = Modern(f"swin_opset{opset}", opset, seed=600 + opset)
    c, heads, win, hw = 32, 2, 4, 7
    pad_hw = (win - hw % win) % win
    full = hw + pad_hw
    hd = c // heads
    x = b.op("Transpose", [b.conv("data", 3, c, 4, stride=4)], perm=[0, 2, 3, 1])  # [N, 7, 7, C]
    x = b.layernorm(x, c)
    # Relative position index of torchvision's ShiftedWindowAttention, and the bias table.
    coords = np.stack(np.meshgrid(np.arange(win), np.arange(win), indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0) + (win - 1)
    index = (rel[:, :, 0] * (2 * win - 1) + rel[:, :, 1]).reshape(-1)
    for shift in (0, win // 2):
        h = b.layernorm(x, c)
        # pads from the shape: pad_b = (win - H % win) % win, likewise pad_r (H = W here)
        size = b.dim(h, 1)
        pad = b.op("Mod", [b.op("Sub", [b.i64([win]), b.op("Mod", [size, b.i64([win])])]), b.i64([win])])
        pads = b.op("Concat", [b.i64([0, 0, 0, 0, 0]), pad, pad, b.i64([0])], axis=0)
        h = b.op("Pad", [h, pads])                                                # [N, 8, 8, C]
        if shift:
            for axis in (1, 2):  # torch.roll(x, -shift): Slice + Concat
                head = b.op("Slice", [h, b.i64([shift]), b.i64([full]), b.i64([axis])])
                tail = b.op("Slice", [h, b.i64([0]), b.i64([shift]), b.i64([axis])])
                h = b.op("Concat", [head, tail], axis=axis)
        nw = (full // win) ** 2
        h = b.op("Reshape", [h, b.i64([-1, full // win, win, full // win, win, c])])
        h = b.op("Reshape", [b.op("Transpose", [h], perm=[0, 1, 3, 2, 4, 5]), b.i64([-1, win * win, c])])  # [N*nw, 16, C]
        qkv = b.op("Transpose", [b.op("Reshape", [b.linear(h, c, 3 * c), b.i64([0, win * win, 3, heads, hd])])],
                   perm=[2, 0, 3, 1, 4])
        q, k, v = (b.op("Gather", [qkv, b.const("qkv_i", np.array(i, dtype=np.int64))], axis=0) for i in range(3))
        att = b.op("MatMul", [b.op("Mul", [q, b.f32(hd ** -0.5)]), b.op("Transpose", [k], perm=[0, 1, 3, 2])])
        table = b.const("rpb", (0.02 * b.rng.standard_normal(((2 * win - 1) ** 2, heads))).astype(np.float32))
        bias = b.op("Gather", [table, b.const("rpi", index.astype(np.int64))], axis=0)  # [256, heads]
        bias = b.op("Unsqueeze", [b.op("Transpose", [b.op("Reshape", [bias, b.i64([win * win, win * win, -1])])],
                                       perm=[2, 0, 1]), b.i64([0])])
        att = b.op("Add", [att, bias])
        if shift:
            # torchvision's attention mask of the shifted windows (regions by slices of the padded map)
            img = np.zeros((full, full))
            cnt = 0
            for hs in ((0, full - win), (full - win, full - shift), (full - shift, full)):
                for ws in ((0, full - win), (full - win, full - shift), (full - shift, full)):
                    img[hs[0]:hs[1], ws[0]:ws[1]] = cnt
                    cnt += 1
            wins = img.reshape(full // win, win, full // win, win).transpose(0, 2, 1, 3).reshape(nw, win * win)
            mask = np.where(wins[:, None, :] != wins[:, :, None], -100.0, 0.0).astype(np.float32)
            att = b.op("Reshape", [att, b.i64([-1, nw, heads, win * win, win * win])])
            att = b.op("Add", [att, b.const("mask", mask[None, :, None])])
            att = b.op("Reshape", [att, b.i64([-1, heads, win * win, win * win])])
        o = b.op("MatMul", [b.op("Softmax", [att], axis=-1), v])
        o = b.linear(b.op("Reshape", [b.op("Transpose", [o], perm=[0, 2, 1, 3]), b.i64([0, win * win, c])]), c, c)
        o = b.op("Reshape", [o, b.i64([-1, full // win, full // win, win, win, c])])
        o = b.op("Reshape", [b.op("Transpose", [o], perm=[0, 1, 3, 2, 4, 5]), b.i64([-1, full, full, c])])
        if shift:
            for axis in (1, 2):  # torch.roll(x, +shift)
                head = b.op("Slice", [o, b.i64([full - shift]), b.i64([full]), b.i64([axis])])
                tail = b.op("Slice", [o, b.i64([0]), b.i64([full - shift]), b.i64([axis])])
                o = b.op("Concat", [head, tail], axis=axis)
        o = b.op("Slice", [o, b.i64([0, 0]), b.op("Concat", [size, size], axis=0), b.i64([1, 2])])  # crop the pad
        x = b.op("Add", [x, o])
        x = b.op("Add", [x, b.mlp(b.layernorm(x, c), c, 2 * c)])
    x = b.reduce_mean(b.layernorm(x, c), [1, 2], keepdims=0)
    return b, [2, 3, 28, 28], b.linear(x, c, CLASSES)


def convnext(opset):
    """convnext_tiny's structure: 4x4 stem with LayerNorm2d (permute, LayerNorm, permute), two ConvNeXt
    blocks (7x7 depthwise conv, NHWC LayerNorm, 4x inverted MLP with exact GELU, layer scale, residual),
    a downsampling LayerNorm2d + 2x2 stride-2 conv, one more block, global mean, LayerNorm, head."""
    b = Modern(f"convnext_opset{opset}", opset, seed=700 + opset)

    def ln2d(x, c):
        return b.op("Transpose", [b.layernorm(b.op("Transpose", [x], perm=[0, 2, 3, 1]), c)], perm=[0, 3, 1, 2])

    def block(x, c):
        y = b.op("Transpose", [b.conv(x, c, c, 7, pad=3, group=c)], perm=[0, 2, 3, 1])
        y = b.mlp(b.layernorm(y, c), c, 4 * c)
        y = b.op("Mul", [y, b.const("gamma", (0.5 + 0.1 * b.rng.standard_normal(c)).astype(np.float32))])
        return b.op("Add", [x, b.op("Transpose", [y], perm=[0, 3, 1, 2])])

    x = ln2d(b.conv("data", 3, 16, 4, stride=4), 16)  # 32 -> 8
    x = block(block(x, 16), 16)
    x = b.conv(ln2d(x, 16), 16, 32, 2, stride=2)        # 4
    x = block(x, 32)
    x = b.layernorm(b.op("Flatten", [b.op("GlobalAveragePool", [x])]), 32)
    return b, [2, 3, 32, 32], b.op("Gemm", [x, b.weight((CLASSES, 32), 32),
                                            b.const("b", np.zeros(CLASSES, np.float32))], transB=1)


def shufflenet(opset):
    """shufflenet_v2's units: a stride-2 unit (both branches) and a stride-1 unit whose input is split in
    two channel halves (Split), each ending in the channel shuffle (Reshape to [N, 2, C/2, H, W] with the
    batch taken from the input's shape, Transpose, Reshape back); 1x1 conv, mean over H and W, head."""
    b = Modern(f"shufflenet_opset{opset}", opset, seed=800 + opset)

    def shuffle(x, c, hw):
        n = b.dim(x, 0)
        y = b.op("Reshape", [x, b.op("Concat", [n, b.i64([2, c // 2, hw, hw])], axis=0)])
        return b.op("Reshape", [b.op("Transpose", [y], perm=[0, 2, 1, 3, 4]), b.op("Concat", [n, b.i64([c, hw, hw])], axis=0)])

    def branch(x, cin, c, stride):
        y = b.bn_relu(b.conv(x, cin, c, 1, bias=False), c)
        y = b.bn_relu(b.conv(y, c, c, 3, stride=stride, pad=1, group=c, bias=False), c, relu=False)
        return b.bn_relu(b.conv(y, c, c, 1, bias=False), c)

    x = b.op("MaxPool", [b.bn_relu(b.conv("data", 3, 12, 3, stride=2, pad=1, bias=False), 12)],
             kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])                      # 32 -> 16 -> 8
    left = b.bn_relu(b.conv(b.bn_relu(b.conv(x, 12, 12, 3, stride=2, pad=1, group=12, bias=False), 12, relu=False),
                            12, 12, 1, bias=False), 12)
    x = shuffle(b.op("Concat", [left, branch(x, 12, 12, 2)], axis=1), 24, 4)              # 4x4
    halves = b.op("Split", [x, b.i64([12, 12])], n_out=2, axis=1) if opset >= 13 else \
        b.op("Split", [x], n_out=2, axis=1, split=[12, 12])
    x = shuffle(b.op("Concat", [halves[0], branch(halves[1], 12, 12, 1)], axis=1), 24, 4)
    x = b.reduce_mean(b.bn_relu(b.conv(x, 24, 48, 1, bias=False), 48), [2, 3], keepdims=0)
    return b, [2, 3, 32, 32], b.op("Gemm", [x, b.weight((CLASSES, 48), 48), b.const("b", np.zeros(CLASSES, np.float32))],
                                   transB=1)


# The rest of torchvision's classifiers as torch.onnx (torchvision 0.14, eval mode, constant folding) writes
# them at opsets 13 and 17, small: the exporter's eval peephole folds every BatchNorm that follows a Conv into
# that Conv's weights and bias (only a BatchNorm after a Concat or a pool stays a BatchNormalization node),
# drops Dropout and stochastic depth, writes nn.Linear on a 2-D input as Gemm(transB=1), torch.flatten(x, 1)
# as Flatten, AdaptiveAvgPool2d(1) as GlobalAveragePool and AdaptiveAvgPool2d(k) with k dividing the input
# as AveragePool(kernel = stride = input / k), an AvgPool with count_include_pad (the default) as Pad (pads
# from a Constant node, zeros included) + AveragePool without pads, MaxPool with ceil_mode as the attribute,
# SiLU as Sigmoid * x, Hardsigmoid as HardSigmoid(alpha=1/6), Hardswish as x * HardSigmoid below opset 14
# and HardSwish from 14, x.mean([2, 3]) as ReduceMean(keepdims=0). Python scalars in the graph (the
# transform_input constants) are Constant nodes, as the exporter writes them.


class Torch(Modern):
    def constant(self, array):
        out = self.fresh("constant")
        self.nodes.append(helper.make_node("Constant", [], [out], value=numpy_helper.from_array(np.asarray(array))))
        return out

    def conv2d(self, x, cin, cout, k, stride=1, pad=0, group=1, bias=True):
        """Conv with kernel k (int or (kh, kw)) and symmetric pad (int or (ph, pw)); with the folded BN's bias."""
        kh, kw = (k, k) if isinstance(k, int) else k
        ph, pw = (pad, pad) if isinstance(pad, int) else pad
        fan_in = cin // group * kh * kw
        ins = [x, self.const("w", (self.rng.standard_normal((cout, cin // group, kh, kw)) * np.sqrt(2.0 / fan_in)).astype(np.float32))]
        if bias:
            ins.append(self.const("b", (0.1 * self.rng.standard_normal(cout)).astype(np.float32)))
        return self.op("Conv", ins, dilations=[1, 1], group=group, kernel_shape=[kh, kw], pads=[ph, pw, ph, pw],
                       strides=[stride, stride])

    def act(self, x, kind):
        if kind == "relu":
            return self.op("Relu", [x])
        if kind == "silu":
            return self.op("Mul", [x, self.op("Sigmoid", [x])])
        if kind == "hardswish":
            return self.op("HardSwish", [x]) if self.opset >= 14 else self.op("Mul", [x, self.hardsigmoid(x)])
        if kind == "sigmoid":
            return self.op("Sigmoid", [x])
        if kind == "hardsigmoid":
            return self.hardsigmoid(x)
        assert kind is None, kind
        return x

    def hardsigmoid(self, x):
        return self.op("HardSigmoid", [x], alpha=1.0 / 6)

    def cba(self, x, cin, cout, k, stride=1, pad=None, group=1, act="relu"):
        """Conv2dNormActivation / BasicConv2d: Conv + BatchNorm (folded into the Conv) + activation."""
        if pad is None:
            pad = (k - 1) // 2 if isinstance(k, int) else tuple((d - 1) // 2 for d in k)
        return self.act(self.conv2d(x, cin, cout, k, stride, pad, group), act)

    def batchnorm(self, x, c):
        """A BatchNorm the exporter cannot fold (its input is no Conv's output); training_mode=0 from opset 14."""
        return self.op("BatchNormalization", [x, self.const("s", (1 + 0.1 * self.rng.standard_normal(c)).astype(np.float32)),
                                              self.const("t", (0.1 * self.rng.standard_normal(c)).astype(np.float32)),
                                              self.const("m", (0.1 * self.rng.standard_normal(c)).astype(np.float32)),
                                              self.const("v", (0.5 + self.rng.random(c)).astype(np.float32))],
                       epsilon=1e-5, momentum=0.9, **({"training_mode": 0} if self.opset >= 14 else {}))

    def maxpool(self, x, k, stride, pad=0, ceil=False):
        return self.op("MaxPool", [x], ceil_mode=int(ceil), kernel_shape=[k, k], pads=[pad] * 4, strides=[stride, stride])

    def avgpool(self, x, k, stride, pad=0):
        """nn.AvgPool2d / F.avg_pool2d with count_include_pad=True: Pad, then AveragePool without pads."""
        x = self.op("Pad", [x, self.constant(np.array([0, 0, pad, pad, 0, 0, pad, pad], dtype=np.int64))], mode="constant")
        return self.op("AveragePool", [x], ceil_mode=0, kernel_shape=[k, k], pads=[0] * 4, strides=[stride, stride])

    def adaptive_avgpool(self, x, size, out):
        if out == 1:
            return self.op("GlobalAveragePool", [x])
        assert size % out == 0, (size, out)
        return self.op("AveragePool", [x], kernel_shape=[size // out] * 2, strides=[size // out] * 2)

    def gemm(self, x, cin, cout):
        return self.op("Gemm", [x, self.const("w", (self.rng.standard_normal((cout, cin)) * np.sqrt(1.0 / cin)).astype(np.float32)),
                                self.const("b", (0.02 * self.rng.standard_normal(cout)).astype(np.float32))],
                       alpha=1.0, beta=1.0, transB=1)

    def head(self, x, c):
        """avgpool (AdaptiveAvgPool2d(1)), torch.flatten(x, 1), [Dropout], fc."""
        return self.gemm(self.op("Flatten", [self.op("GlobalAveragePool", [x])], axis=1), c, CLASSES)

    def transform_input(self, x):
        """GoogLeNet / Inception v3 transform_input: per channel x[:, i] * (std_i / 0.5) + (mean_i - 0.5) / 0.5."""
        chans = []
        for i, (mean, std) in enumerate(((0.485, 0.229), (0.456, 0.224), (0.406, 0.225))):
            c = self.op("Gather", [x, self.constant(np.array(i, dtype=np.int64))], axis=1)
            c = self.op("Unsqueeze", [c, self.constant(np.array([1], dtype=np.int64))]) if self.opset >= 13 else \
                self.op("Unsqueeze", [c], axes=[1])
            c = self.op("Mul", [c, self.constant(np.array(std / 0.5, dtype=np.float32))])
            chans.append(self.op("Add", [c, self.constant(np.array((mean - 0.5) / 0.5, dtype=np.float32))]))
        return self.op("Concat", chans, axis=1)

    def squeeze_excitation(self, x, c, squeeze, act="relu", scale="sigmoid"):
        """torchvision.ops.SqueezeExcitation: avgpool, fc1 (1x1 Conv), act, fc2, scale activation, scale * x."""
        s = self.conv2d(self.op("GlobalAveragePool", [x]), c, squeeze, 1)
        s = self.act(self.conv2d(self.act(s, act), squeeze, c, 1), scale)
        return self.op("Mul", [s, x])


def alexnet_tv(opset):
    """torchvision alexnet at 224x224 (narrowed): 5 convs with ReLU and 3 max pools to 6x6, AdaptiveAvgPool2d
    (6, 6) on a 6x6 map (the exporter's AveragePool with kernel = stride = 1), Flatten, 3 Gemms."""
    b = Torch(f"alexnet_tv_opset{opset}", opset, seed=900 + opset)
    x = b.maxpool(b.act(b.conv2d("data", 3, 16, 11, stride=4, pad=2), "relu"), 3, 2)   # 55 -> 27
    x = b.maxpool(b.act(b.conv2d(x, 16, 24, 5, pad=2), "relu"), 3, 2)                  # 13
    x = b.act(b.conv2d(x, 24, 32, 3, pad=1), "relu")
    x = b.act(b.conv2d(x, 32, 24, 3, pad=1), "relu")
    x = b.maxpool(b.act(b.conv2d(x, 24, 24, 3, pad=1), "relu"), 3, 2)                  # 6
    x = b.op("Flatten", [b.adaptive_avgpool(x, 6, 6)], axis=1)
    x = b.act(b.gemm(b.act(b.gemm(x, 24 * 36, 64), "relu"), 64, 64), "relu")
    return b, [1, 3, 224, 224], b.gemm(x, 64, CLASSES)


def vgg(opset):
    """torchvision vgg11 (configuration A, narrowed) at 448x448: 3x3 convs with ReLU, 5 max pools (2, 2)
    to 14x14, AdaptiveAvgPool2d((7, 7)) as the exporter writes it for 14x14 (AveragePool kernel = stride = 2;
    at 224 it is kernel 1), Flatten, Gemm-Relu-Gemm-Relu-Gemm."""
    b = Torch(f"vgg_opset{opset}", opset, seed=1000 + opset)
    x, c = "data", 3
    for v in (8, "M", 8, "M", 16, 16, "M", 16, 16, "M", 24, 24, "M"):
        if v == "M":
            x = b.maxpool(x, 2, 2)
        else:
            x, c = b.act(b.conv2d(x, c, v, 3, pad=1), "relu"), v
    x = b.op("Flatten", [b.adaptive_avgpool(x, 14, 7)], axis=1)
    x = b.act(b.gemm(b.act(b.gemm(x, c * 49, 64), "relu"), 64, 64), "relu")
    return b, [1, 3, 448, 448], b.gemm(x, 64, CLASSES)


def _resnet_bottleneck(name, opset, seed, groups, wide):
    """torchvision's Bottleneck ResNets: 7x7 stem, max pool, blocks of 1x1 -> 3x3 (grouped for ResNeXt,
    wider for Wide-ResNet; stride on the 3x3) -> 1x1 with BN folded, a 1x1 stride-s projection where the
    shape changes, Add, ReLU; GlobalAveragePool, Flatten, Gemm."""
    b = Torch(f"{name}_opset{opset}", opset, seed=seed + opset)
    x = b.maxpool(b.cba("data", 3, 16, 7, stride=2), 3, 2, pad=1)                       # 64 -> 32 -> 16
    cin = 16
    for planes, stride in ((8, 1), (8, 1), (16, 2)):
        width = planes * wide * (2 if groups > 1 else 1)
        out = planes * 4
        y = b.cba(x, cin, width, 1)
        y = b.cba(y, width, width, 3, stride=stride, group=groups)
        y = b.cba(y, width, out, 1, act=None)
        s = b.cba(x, cin, out, 1, stride=stride, pad=0, act=None) if stride != 1 or cin != out else x
        x, cin = b.act(b.op("Add", [y, s]), "relu"), out
    return b, [2, 3, 64, 64], b.head(x, cin)


def resnext(opset):
    return _resnet_bottleneck("resnext", opset, 1100, groups=4, wide=1)


def wide_resnet(opset):
    return _resnet_bottleneck("wide_resnet", opset, 1200, groups=1, wide=2)


def squeezenet_tv(opset):
    """torchvision squeezenet1_1: 3x3 stride-2 stem, MaxPool(3, 2, ceil_mode=True) (the input size makes
    ceil_mode change every pooled size), fire modules (squeeze 1x1, expand 1x1 and 3x3 concatenated), a 1x1
    conv classifier with ReLU, GlobalAveragePool, Flatten."""
    b = Torch(f"squeezenet_tv_opset{opset}", opset, seed=1300 + opset)

    def fire(x, cin, s, e):
        q = b.act(b.conv2d(x, cin, s, 1), "relu")
        return b.op("Concat", [b.act(b.conv2d(q, s, e, 1), "relu"), b.act(b.conv2d(q, s, e, 3, pad=1), "relu")], axis=1), 2 * e

    x = b.maxpool(b.act(b.conv2d("data", 3, 16, 3, stride=2), "relu"), 3, 2, ceil=True)  # 66 -> 32 -> 16
    x, c = fire(x, 16, 4, 8)
    x, c = fire(x, c, 4, 8)
    x = b.maxpool(x, 3, 2, ceil=True)                                                        # 8
    x, c = fire(x, c, 8, 16)
    x = b.maxpool(x, 3, 2, ceil=True)                                                        # 4
    x, c = fire(x, c, 12, 24)
    x = b.act(b.conv2d(x, c, CLASSES, 1), "relu")
    return b, [2, 3, 66, 66], b.op("Flatten", [b.op("GlobalAveragePool", [x])], axis=1)


def densenet(opset):
    """torchvision densenet121's structure (growth 8, bn_size 2, blocks of 2 layers): each dense layer
    concatenates all earlier features (a one-input Concat for the first layer, as torch.cat([x], 1) is
    traced), BatchNormalization (not foldable after a Concat), ReLU, 1x1 conv (its BN folded), ReLU, 3x3
    conv; transition BN, ReLU, 1x1 conv, AvgPool2d(2, 2) (Pad with zero pads + AveragePool); final BN, ReLU,
    GlobalAveragePool, Flatten, Gemm."""
    b = Torch(f"densenet_opset{opset}", opset, seed=1400 + opset)
    growth, bn_size = 8, 2

    def block(x, c, layers):
        features = [x]
        for _ in range(layers):
            y = b.act(b.batchnorm(b.op("Concat", features, axis=1), c), "relu")
            y = b.cba(y, c, bn_size * growth, 1)
            features.append(b.conv2d(y, bn_size * growth, growth, 3, pad=1, bias=False))
            c += growth
        return b.op("Concat", features, axis=1), c

    x = b.maxpool(b.cba("data", 3, 16, 7, stride=2), 3, 2, pad=1)   # 32 -> 16 -> 8
    x, c = block(x, 16, 2)
    x = b.conv2d(b.act(b.batchnorm(x, c), "relu"), c, c // 2, 1, bias=False)
    x, c = block(b.avgpool(x, 2, 2), c // 2, 2)                        # 4
    x = b.act(b.batchnorm(x, c), "relu")
    return b, [2, 3, 32, 32], b.head(x, c)


def googlenet_tv(opset):
    """torchvision googlenet with transform_input (as with its ImageNet weights): the input re-normalised
    channel by channel (Gather, Unsqueeze, Mul, Add, Concat), BasicConv2d (BN folded) stem,
    MaxPool(3, 2, ceil_mode=True), inception blocks (1x1; 1x1 -> 3x3; 1x1 -> 3x3 (torchvision's 3x3 where
    the paper has 5x5); MaxPool(3, 1, 1, ceil_mode=True) -> 1x1; Concat), MaxPool(2, 2, ceil_mode=True),
    GlobalAveragePool, Flatten, Gemm (no aux classifiers in eval)."""
    b = Torch(f"googlenet_tv_opset{opset}", opset, seed=1500 + opset)

    def inception(x, cin, c1, c3r, c3, c5r, c5, cp):
        branches = [b.cba(x, cin, c1, 1),
                    b.cba(b.cba(x, cin, c3r, 1), c3r, c3, 3),
                    b.cba(b.cba(x, cin, c5r, 1), c5r, c5, 3),
                    b.cba(b.maxpool(x, 3, 1, pad=1, ceil=True), cin, cp, 1)]
        return b.op("Concat", branches, axis=1), c1 + c3 + c5 + cp

    x = b.cba(b.transform_input("data"), 3, 16, 7, stride=2)                       # 64 -> 32
    x = b.maxpool(x, 3, 2, ceil=True)                                              # 16
    x = b.maxpool(b.cba(b.cba(x, 16, 16, 1), 16, 24, 3), 3, 2, ceil=True)         # 8
    x, c = inception(x, 24, 8, 8, 12, 4, 4, 4)
    x, c = inception(x, c, 12, 8, 12, 4, 8, 8)
    x = b.maxpool(x, 3, 2, ceil=True)                                              # 4
    x, c = inception(x, c, 12, 8, 16, 4, 8, 8)
    x = b.maxpool(x, 2, 2, ceil=True)                                              # 2
    x, c = inception(x, c, 16, 8, 16, 4, 8, 8)
    return b, [2, 3, 64, 64], b.head(x, c)


def inception_v3(opset):
    """torchvision inception_v3 with transform_input: the stem (3x3 s2, 3x3, 3x3 p1, MaxPool(3, 2), 1x1,
    3x3, MaxPool(3, 2)), then one block of each kind: A (1x1; 1x1 -> 5x5; 1x1 -> 3x3 -> 3x3; avg pool ->
    1x1), B (3x3 s2; 1x1 -> 3x3 -> 3x3 s2; max pool), C (asymmetric 1x7 / 7x1 chains), D (1x1 -> 3x3 s2;
    1x1 -> 1x7 -> 7x1 -> 3x3 s2; max pool), E (1x3 and 3x1 branches concatenated); F.avg_pool2d(3, 1, 1)
    with count_include_pad as Pad + AveragePool; GlobalAveragePool, Flatten, Gemm."""
    b = Torch(f"inception_v3_opset{opset}", opset, seed=1600 + opset)

    def avg_branch(x, cin, cout):
        return b.cba(b.avgpool(x, 3, 1, pad=1), cin, cout, 1)

    def block_a(x, cin, pool):
        br = [b.cba(x, cin, 8, 1), b.cba(b.cba(x, cin, 6, 1), 6, 8, 5),
              b.cba(b.cba(b.cba(x, cin, 8, 1), 8, 12, 3), 12, 12, 3), avg_branch(x, cin, pool)]
        return b.op("Concat", br, axis=1), 28 + pool

    def block_b(x, cin):
        br = [b.cba(x, cin, 16, 3, stride=2, pad=0), b.cba(b.cba(b.cba(x, cin, 8, 1), 8, 12, 3), 12, 12, 3, stride=2, pad=0),
              b.maxpool(x, 3, 2)]
        return b.op("Concat", br, axis=1), 28 + cin

    def block_c(x, cin, c7):
        br1 = b.cba(x, cin, 16, 1)
        br7 = b.cba(b.cba(b.cba(x, cin, c7, 1), c7, c7, (1, 7)), c7, 16, (7, 1))
        dbl = b.cba(x, cin, c7, 1)
        for k, cout in (((7, 1), c7), ((1, 7), c7), ((7, 1), c7), ((1, 7), 16)):
            dbl = b.cba(dbl, c7, cout, k)
        return b.op("Concat", [br1, br7, dbl, avg_branch(x, cin, 16)], axis=1), 64

    def block_d(x, cin):
        br3 = b.cba(b.cba(x, cin, 8, 1), 8, 16, 3, stride=2, pad=0)
        br7 = b.cba(b.cba(b.cba(b.cba(x, cin, 8, 1), 8, 8, (1, 7)), 8, 8, (7, 1)), 8, 8, 3, stride=2, pad=0)
        return b.op("Concat", [br3, br7, b.maxpool(x, 3, 2)], axis=1), 24 + cin

    def block_e(x, cin):
        br1 = b.cba(x, cin, 16, 1)
        t = b.cba(x, cin, 12, 1)
        br3 = b.op("Concat", [b.cba(t, 12, 12, (1, 3)), b.cba(t, 12, 12, (3, 1))], axis=1)
        d = b.cba(b.cba(x, cin, 12, 1), 12, 12, 3)
        dbl = b.op("Concat", [b.cba(d, 12, 12, (1, 3)), b.cba(d, 12, 12, (3, 1))], axis=1)
        return b.op("Concat", [br1, br3, dbl, avg_branch(x, cin, 8)], axis=1), 72

    x = b.cba(b.transform_input("data"), 3, 8, 3, stride=2, pad=0)                 # 107 -> 53
    x = b.cba(b.cba(x, 8, 8, 3, pad=0), 8, 16, 3, pad=1)                            # 51
    x = b.maxpool(x, 3, 2)                                                          # 25
    x = b.maxpool(b.cba(b.cba(x, 16, 16, 1), 16, 24, 3, pad=0), 3, 2)              # 23 -> 11
    x, c = block_a(x, 24, 8)
    x, c = block_b(x, c)                                                            # 5
    x, c = block_c(x, c, 8)
    x, c = block_d(x, c)                                                            # 2
    x, c = block_e(x, c)
    return b, [1, 3, 107, 107], b.head(x, c)


def mobilenet_v3(opset):
    """torchvision mobilenet_v3_small's structure: Hardswish stem, inverted residuals (expand 1x1, depthwise
    3x3/5x5, squeeze-excitation with ReLU and Hardsigmoid, project 1x1, residual Add where the shape is kept)
    with ReLU or Hardswish, last 1x1 conv, GlobalAveragePool, Flatten, Gemm, Hardswish, Gemm."""
    b = Torch(f"mobilenet_v3_opset{opset}", opset, seed=1700 + opset)
    x, c = b.cba("data", 3, 16, 3, stride=2, act="hardswish"), 16                  # 32 -> 16
    for k, exp, out, se, act, stride in ((3, 16, 16, True, "relu", 2), (3, 32, 24, False, "relu", 2),
                                         (3, 48, 24, False, "relu", 1), (5, 48, 32, True, "hardswish", 2),
                                         (5, 64, 32, True, "hardswish", 1)):
        y = b.cba(x, c, exp, 1, act=act) if exp != c else x
        y = b.cba(y, exp, exp, k, stride=stride, group=exp, act=act)
        if se:
            y = b.squeeze_excitation(y, exp, max(8, (exp // 4 + 4) // 8 * 8), scale="hardsigmoid")
        y = b.cba(y, exp, out, 1, act=None)
        x, c = (b.op("Add", [y, x]) if stride == 1 and c == out else y), out
    x = b.cba(x, c, 96, 1, act="hardswish")
    x = b.op("Flatten", [b.op("GlobalAveragePool", [x])], axis=1)
    return b, [2, 3, 32, 32], b.gemm(b.act(b.gemm(x, 96, 64), "hardswish"), 64, CLASSES)


def mnasnet(opset):
    """torchvision mnasnet's structure: 3x3 stem, depthwise separable block, inverted residual stacks
    (expand 1x1, depthwise 3x3/5x5, project 1x1, Add when the shape is kept) all with ReLU, last 1x1 conv,
    x.mean([2, 3]) (ReduceMean keepdims=0), Gemm."""
    b = Torch(f"mnasnet_opset{opset}", opset, seed=1800 + opset)
    x = b.cba("data", 3, 16, 3, stride=2)                                           # 32 -> 16
    x = b.cba(b.cba(x, 16, 16, 3, group=16), 16, 8, 1, act=None)
    c = 8
    for k, exp_ratio, out, stride, repeats in ((3, 3, 12, 2, 2), (5, 3, 16, 2, 2), (5, 6, 24, 1, 1)):
        for r in range(repeats):
            s = stride if r == 0 else 1
            e = c * exp_ratio
            y = b.cba(b.cba(b.cba(x, c, e, 1), e, e, k, stride=s, group=e), e, out, 1, act=None)
            x, c = (b.op("Add", [y, x]) if s == 1 and c == out else y), out
    x = b.reduce_mean(b.cba(x, c, 64, 1), [2, 3], keepdims=0)
    return b, [2, 3, 32, 32], b.gemm(x, 64, CLASSES)


def _mbconv(b, x, c, exp_ratio, k, stride, out, se_act="silu"):
    """EfficientNet's MBConv: expand 1x1 (if the ratio is not 1), depthwise kxk, squeeze-excitation (squeeze
    to in/4 channels, SiLU, Sigmoid), project 1x1; stochastic depth is the identity in eval, then Add."""
    e = c * exp_ratio
    y = b.cba(x, c, e, 1, act="silu") if exp_ratio != 1 else x
    y = b.cba(y, e, e, k, stride=stride, group=e, act="silu")
    y = b.squeeze_excitation(y, e, max(1, c // 4), act=se_act)
    y = b.cba(y, e, out, 1, act=None)
    return (b.op("Add", [y, x]) if stride == 1 and c == out else y), out


def efficientnet_v1(opset):
    """torchvision efficientnet_b0's structure: SiLU (Sigmoid * x) stem, MBConv stages with SE, last 1x1
    conv, GlobalAveragePool, Flatten, Gemm."""
    b = Torch(f"efficientnet_v1_opset{opset}", opset, seed=1900 + opset)
    x, c = b.cba("data", 3, 16, 3, stride=2, act="silu"), 16                       # 32 -> 16
    for exp_ratio, k, stride, out, repeats in ((1, 3, 1, 8, 1), (6, 3, 2, 12, 2), (6, 5, 2, 16, 2)):
        for r in range(repeats):
            x, c = _mbconv(b, x, c, exp_ratio, k, stride if r == 0 else 1, out)
    x = b.cba(x, c, 64, 1, act="silu")
    return b, [2, 3, 32, 32], b.head(x, 64)


def efficientnet_v2(opset):
    """torchvision efficientnet_v2_s's structure: FusedMBConv stages (ratio 1: one 3x3 conv + SiLU with the
    residual; ratio 4: 3x3 expand conv + SiLU, 1x1 project), then MBConv with SE, last 1x1 conv,
    GlobalAveragePool, Flatten, Gemm."""
    b = Torch(f"efficientnet_v2_opset{opset}", opset, seed=2000 + opset)
    x, c = b.cba("data", 3, 12, 3, stride=2, act="silu"), 12                       # 32 -> 16
    for exp_ratio, stride, out, repeats in ((1, 1, 12, 2), (4, 2, 16, 2)):
        for r in range(repeats):
            s = stride if r == 0 else 1
            if exp_ratio == 1:
                y = b.cba(x, c, out, 3, stride=s, act="silu")
            else:
                y = b.cba(b.cba(x, c, c * exp_ratio, 3, stride=s, act="silu"), c * exp_ratio, out, 1, act=None)
            x, c = (b.op("Add", [y, x]) if s == 1 and c == out else y), out
    for r in range(2):
        x, c = _mbconv(b, x, c, 4, 3, 2 if r == 0 else 1, 24)
    x = b.cba(x, c, 64, 1, act="silu")
    return b, [2, 3, 32, 32], b.head(x, 64)


def regnet(opset):
    """torchvision regnet_y_400mf's structure: 3x3 stride-2 stem, ResBottleneckBlocks (1x1, 3x3 grouped by
    group width 8 with the stride, squeeze-excitation to a quarter of the block's input width with ReLU and
    Sigmoid, 1x1 without activation; 1x1 stride-s projection where the shape changes; proj(x) + f(x), ReLU),
    GlobalAveragePool, Flatten, Gemm."""
    b = Torch(f"regnet_opset{opset}", opset, seed=2100 + opset)
    x, c = b.cba("data", 3, 16, 3, stride=2), 16                                   # 32 -> 16
    for out, stride, depth in ((16, 2, 1), (32, 2, 2)):
        for d in range(depth):
            s = stride if d == 0 else 1
            f = b.cba(x, c, out, 1)
            f = b.cba(f, out, out, 3, stride=s, group=out // 8)
            f = b.squeeze_excitation(f, out, int(round(0.25 * c)))
            f = b.cba(f, out, out, 1, act=None)
            proj = b.cba(x, c, out, 1, stride=s, pad=0, act=None) if c != out or s != 1 else x
            x, c = b.act(b.op("Add", [proj, f]), "relu"), out
    return b, [2, 3, 32, 32], b.head(x, c)


def runtime_shapes(opset):
    """Shapes known only from data (issue #12 item 3): a small conv net whose Pad pads come from
    ReduceMax -> Clip -> Cast of the input's values, a Slice whose ends and a Range whose limit come from
    an ArgMax over the channel means, the Range's indices gathered along H, a Reshape whose shape is
    computed from that ArgMax, and an Expand whose shape is the Cast value + 1; conv, GlobalMaxPool, head."""
    b = Modern(f"runtime_shapes_opset{opset}", opset, seed=2200 + opset)
    f = b.op("Relu", [b.conv("data", 3, 8, 3, pad=1)])                                          # [N, 8, 16, 16]
    c = b.op("Cast", [b.op("Clip", [b.op("ReduceMax", ["data"], keepdims=0), b.f32(0.0), b.f32(3.0)])],
             to=TensorProto.INT64)                                                                # scalar 0..3
    u = b.op("Unsqueeze", [c, b.i64([0])])
    zero = b.i64([0])
    f = b.op("Pad", [f, b.op("Concat", [zero, zero, u, u, zero, zero, u, u], axis=0)])            # 16 + 2c
    a = b.op("ArgMax", [b.reduce_mean("data", [0, 2, 3], keepdims=0)], axis=0, keepdims=1)       # [1], 0..2
    end = b.op("Add", [a, b.i64([12])])
    f = b.op("Slice", [f, b.i64([0, 0]), b.op("Concat", [end, end], axis=0), b.i64([2, 3])])     # [N, 8, 12+a, 12+a]
    rows = b.op("Range", [b.const("r0", np.array(0, dtype=np.int64)),
                          b.op("Squeeze", [b.op("Add", [a, b.i64([2])]), b.i64([0])]),
                          b.const("r1", np.array(1, dtype=np.int64))])
    f = b.op("Gather", [f, rows], axis=2)                                                         # [N, 8, a+2, 12+a]
    flat = b.op("Mul", [b.op("Add", [a, b.i64([2])]), b.op("Add", [a, b.i64([12])])])
    f = b.op("Reshape", [f, b.op("Concat", [b.dim("data", 0), b.i64([8]), flat], axis=0)])      # [N, 8, (a+2)(12+a)]
    g = b.op("Unsqueeze", [b.reduce_mean(f, [2], keepdims=1), b.i64([3])])                       # [N, 8, 1, 1]
    k = b.op("Add", [u, b.i64([1])])
    g = b.op("Expand", [g, b.op("Concat", [b.i64([1, 1]), k, k], axis=0)])                       # [N, 8, c+1, c+1]
    g = b.op("GlobalMaxPool", [b.op("Relu", [b.conv(g, 8, 16, 3, pad=1)])])
    return b, [2, 3, 16, 16], b.op("Gemm", [b.op("Flatten", [g]), b.weight((CLASSES, 16), 16),
                                            b.const("b", np.zeros(CLASSES, np.float32))], transB=1)


TORCHVISION = [alexnet_tv, vgg, resnext, wide_resnet, squeezenet_tv, densenet, googlenet_tv, inception_v3,
               mobilenet_v3, mnasnet, efficientnet_v1, efficientnet_v2, regnet]


GRAPHS = [(alexnet, 3), (alexnet, 6), (googlenet, 1), (googlenet, 3), (caffe2_resnet, 3), (caffe2_resnet, 6),
          (squeezenet, 3), (vit, 13), (vit, 17), (swin, 13), (swin, 17), (convnext, 13), (convnext, 17),
          (shufflenet, 13), (shufflenet, 17)] + [(make, opset) for make in TORCHVISION + [runtime_shapes] for opset in (13, 17)]


def main():
    outdir, wanted = sys.argv[1], set(sys.argv[2:])
    os.makedirs(outdir, exist_ok=True)
    lines = []
    for make, old in GRAPHS:
        if wanted and f"{make.__name__}_opset{old}" not in wanted:
            continue
        made = make(old)
        builder, shape = made[0], made[1]
        legacy, modern = builder.save(outdir, shape) if len(made) == 2 else builder.save(outdir, shape, made[2])
        lines.append("\t".join([builder.name, legacy, modern, ",".join(map(str, shape))]))
    if wanted and len(lines) != len(wanted):
        sys.exit(f"family_graphs.py: unknown graph name among {sorted(wanted)}")
    with open(os.path.join(outdir, "list.tsv.tmp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(os.path.join(outdir, "list.tsv.tmp"), os.path.join(outdir, "list.tsv"))


if __name__ == "__main__":
    main()
