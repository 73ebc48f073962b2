#!/usr/bin/python3
"""Writes transformer classifiers with synthetic, seeded weights as ONNX (opset 13, dynamic batch), laid
out the way torch.onnx exports them below opset 17: LayerNorm as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/
Div/Mul/Add and exact GELU as Div/Erf/Add/Mul/Mul (inr's fuse_transformer pass folds both), attention as
MatMul/Reshape/Transpose/MatMul/Softmax/MatMul. For speed measurements (inr vs ONNX Runtime): speed does not
depend on the weights. No PyTorch needed.

  bench/transformer_graphs.py vit_b16 -o vit_b16.onnx [--seed 1]   ViT-B/16: 224px, 16x16 patches, 12 x (768, 12 heads, MLP 3072)
  bench/transformer_graphs.py swin_t  -o swin_t.onnx  [--seed 1]   Swin-T: 224px, 4x4 patches, depths 2-2-6-2, dims 96..768,
                                                                    7x7 windows, shifted windows (roll as Slice+Concat, mask added)
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, hint, arr):
        nm = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), nm))
        return nm

    def weight(self, hint, shape, fan_in):
        return self.const(hint, (self.rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))

    def op(self, op_type, inputs, hint=None, outputs=1, **attrs):
        outs = [self.name(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type), **attrs))
        return outs[0] if outputs == 1 else outs

    def f(self, v):
        return self.const("c", np.array(v, dtype=np.float32))

    def i64(self, v):
        return self.const("shape", np.array(v, dtype=np.int64))

    # torch.onnx (opset 13) spelling of nn.LayerNorm over the last dim
    def layer_norm(self, x, dim):
        m = self.op("ReduceMean", [x], axes=[-1])
        d = self.op("Sub", [x, m])
        v = self.op("ReduceMean", [self.op("Pow", [d, self.f(2.0)])], axes=[-1])
        s = self.op("Sqrt", [self.op("Add", [v, self.f(1e-5)])])
        n = self.op("Div", [d, s])
        g = self.const("ln_w", (1 + 0.1 * self.rng.standard_normal(dim)).astype(np.float32))
        b = self.const("ln_b", (0.1 * self.rng.standard_normal(dim)).astype(np.float32))
        return self.op("Add", [self.op("Mul", [n, g]), b])

    def gelu(self, x):
        e = self.op("Erf", [self.op("Div", [x, self.f(1.4142135381698608)])])
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [e, self.f(1.0)])]), self.f(0.5)])

    def linear(self, x, cin, cout):
        y = self.op("MatMul", [x, self.weight("w", (cin, cout), cin)])
        return self.op("Add", [y, self.const("b", (0.02 * self.rng.standard_normal(cout)).astype(np.float32))])

    def attention(self, x, tokens_shape, dim, heads, bias=None):
        """x [..., T, dim] with tokens_shape = [B', T] (B' may be 0 = copy); returns [B', T, dim]."""
        hd = dim // heads
        bp, t = tokens_shape

        def split_heads(v, perm):
            return self.op("Transpose", [self.op("Reshape", [v, self.i64([bp, t, heads, hd])])], perm=perm)

        q = split_heads(self.linear(x, dim, dim), [0, 2, 1, 3])
        k = split_heads(self.linear(x, dim, dim), [0, 2, 3, 1])
        v = split_heads(self.linear(x, dim, dim), [0, 2, 1, 3])
        s = self.op("Mul", [self.op("MatMul", [q, k]), self.f(hd ** -0.5)])
        if bias is not None:
            s = bias(s)
        p = self.op("Softmax", [s], axis=-1)
        o = self.op("Transpose", [self.op("MatMul", [p, v])], perm=[0, 2, 1, 3])
        return self.linear(self.op("Reshape", [o, self.i64([bp, t, dim])]), dim, dim)

    def mlp(self, x, dim, hidden):
        return self.linear(self.gelu(self.linear(x, dim, hidden)), hidden, dim)

    def model(self, x_name, y_name, name):
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["batch", 3, 224, 224])],
            [helper.make_tensor_value_info(y_name, TensorProto.FLOAT, ["batch", 1000])], self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="inr bench")


def vit_b16(seed):
    b = Builder(seed)
    dim, heads, depth, mlp, patch = 768, 12, 12, 3072, 16
    t = (224 // patch) ** 2 + 1
    x = b.op("Conv", ["input", b.weight("patch_w", (dim, 3, patch, patch), 3 * patch * patch),
                      b.const("patch_b", np.zeros(dim, np.float32))], kernel_shape=[patch, patch], strides=[patch, patch])
    x = b.op("Transpose", [b.op("Reshape", [x, b.i64([0, dim, -1])])], perm=[0, 2, 1])  # [B, 196, 768]
    batch = b.op("Gather", [b.op("Shape", ["input"]), b.i64(0)], axis=0)
    cls_shape = b.op("Concat", [b.op("Unsqueeze", [batch, b.i64([0])]), b.i64([1, dim])], axis=0)
    cls = b.op("Expand", [b.const("cls", (0.02 * b.rng.standard_normal((1, 1, dim))).astype(np.float32)), cls_shape])
    x = b.op("Concat", [cls, x], axis=1)
    x = b.op("Add", [x, b.const("pos", (0.02 * b.rng.standard_normal((1, t, dim))).astype(np.float32))])
    for _ in range(depth):
        x = b.op("Add", [x, b.attention(b.layer_norm(x, dim), [0, t], dim, heads)])
        x = b.op("Add", [x, b.mlp(b.layer_norm(x, dim), dim, mlp)])
    x = b.layer_norm(x, dim)
    x = b.op("Gather", [x, b.i64(0)], axis=1)  # the class token, [B, 768]
    y = b.op("Gemm", [x, b.weight("head_w", (1000, dim), dim), b.const("head_b", np.zeros(1000, np.float32))], hint="logits",
             transB=1)
    return b.model("input", y, "vit_b16")


def swin_t(seed):
    b = Builder(seed)
    dims, depths, heads, win = [96, 192, 384, 768], [2, 2, 6, 2], [3, 6, 12, 24], 7
    res = 56
    x = b.op("Conv", ["input", b.weight("patch_w", (96, 3, 4, 4), 48), b.const("patch_b", np.zeros(96, np.float32))],
             kernel_shape=[4, 4], strides=[4, 4])
    x = b.op("Transpose", [x], perm=[0, 2, 3, 1])  # [B, 56, 56, 96]
    x = b.layer_norm(x, 96)

    def roll(v, shift):  # torch.roll over H and W, exported as Slice + Concat
        for axis in (1, 2):
            hi = b.op("Slice", [v, b.i64([-shift]), b.i64([2 ** 62]), b.i64([axis])])
            lo = b.op("Slice", [v, b.i64([0]), b.i64([-shift]), b.i64([axis])])
            v = b.op("Concat", [hi, lo], axis=axis)
        return v

    def shift_mask(r, shift):  # Swin's attention mask for shifted windows, [nW, 49, 49]
        img = np.zeros((r, r))
        cnt = 0
        for hs in (slice(0, -win), slice(-win, -shift), slice(-shift, None)):
            for ws in (slice(0, -win), slice(-win, -shift), slice(-shift, None)):
                img[hs, ws] = cnt
                cnt += 1
        w = img.reshape(r // win, win, r // win, win).transpose(0, 2, 1, 3).reshape(-1, win * win)
        return np.where(w[:, None, :] != w[:, :, None], -100.0, 0.0).astype(np.float32)

    for stage in range(4):
        dim, nh = dims[stage], heads[stage]
        nw = (res // win) ** 2
        for blk in range(depths[stage]):
            shift = win // 2 if blk % 2 == 1 and res > win else 0
            h = b.layer_norm(x, dim)
            if shift:
                h = roll(h, shift)
            # window partition: [B, r, r, C] -> [B * nW, 49, C]
            h = b.op("Reshape", [h, b.i64([-1, res // win, win, res // win, win, dim])])
            h = b.op("Reshape", [b.op("Transpose", [h], perm=[0, 1, 3, 2, 4, 5]), b.i64([-1, win * win, dim])])
            rel = b.const("rel_bias", (0.02 * b.rng.standard_normal((1, nh, win * win, win * win))).astype(np.float32))
            mask = shift_mask(res, shift) if shift else None

            def add_bias(s, rel=rel, mask=mask, nh=nh, nw=nw):
                s = b.op("Add", [s, rel])
                if mask is None:
                    return s
                s = b.op("Reshape", [s, b.i64([-1, nw, nh, win * win, win * win])])
                s = b.op("Add", [s, b.const("mask", mask[None, :, None])])
                return b.op("Reshape", [s, b.i64([-1, nh, win * win, win * win])])

            h = b.attention(h, [-1, win * win], dim, nh, bias=add_bias)
            # window reverse: [B * nW, 49, C] -> [B, r, r, C]
            h = b.op("Reshape", [h, b.i64([-1, res // win, res // win, win, win, dim])])
            h = b.op("Reshape", [b.op("Transpose", [h], perm=[0, 1, 3, 2, 4, 5]), b.i64([-1, res, res, dim])])
            if shift:
                h = roll(h, res - shift)
            x = b.op("Add", [x, h])
            x = b.op("Add", [x, b.mlp(b.layer_norm(x, dim), dim, 4 * dim)])
        if stage < 3:  # patch merging: the four 2x2 phases concatenated, LayerNorm, Linear 4C -> 2C
            parts = [b.op("Slice", [x, b.i64([i, j]), b.i64([2 ** 62, 2 ** 62]), b.i64([1, 2]), b.i64([2, 2])])
                     for (i, j) in ((0, 0), (1, 0), (0, 1), (1, 1))]
            x = b.op("Concat", parts, axis=-1)
            x = b.op("MatMul", [b.layer_norm(x, 4 * dim), b.weight("merge_w", (4 * dim, 2 * dim), 4 * dim)])
            res //= 2
    x = b.layer_norm(x, 768)
    x = b.op("ReduceMean", [x], axes=[1, 2], keepdims=0)  # [B, 768]
    y = b.op("Gemm", [x, b.weight("head_w", (1000, 768), 768), b.const("head_b", np.zeros(1000, np.float32))], hint="logits",
             transB=1)
    return b.model("input", y, "swin_t")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=["vit_b16", "swin_t"])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    m = {"vit_b16": vit_b16, "swin_t": swin_t}[a.model](a.seed)
    onnx.checker.check_model(m)
    tmp = a.output + ".tmp"
    onnx.save(m, tmp)
    os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
