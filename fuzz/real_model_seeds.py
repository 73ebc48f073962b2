#!/usr/bin/env python3
# Cuts a real ONNX model into small windows of consecutive nodes (each a valid model with the window's
# initializers, its outside inputs as graph inputs, shapes from shape inference) that fit the fuzzer's max_len.
import sys, os, onnx
from onnx import helper, shape_inference
src, out, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = shape_inference.infer_shapes(onnx.load(src))
g = m.graph
init = {i.name: i for i in g.initializer}
vi = {v.name: v for v in list(g.value_info) + list(g.input) + list(g.output)}
nodes = list(g.node)
base = os.path.splitext(os.path.basename(src))[0]
os.makedirs(out, exist_ok=True)
written = 0
for w in (1, 2, 3, 5):
    for s in range(0, len(nodes) - w + 1):
        win = nodes[s:s + w]
        produced = {o for n in win for o in n.output}
        used = [i for n in win for i in n.input if i]
        ins, inits, seen = [], [], set()
        for i in used:
            if i in produced or i in seen: continue
            seen.add(i)
            if i in init: inits.append(init[i])
            elif i in vi: ins.append(vi[i])
            else: break
        else:
            later = {i for n in nodes[s + w:] for i in n.input} | {o.name for o in g.output}
            outs = [vi[o] for n in win for o in n.output if o in later and o in vi] or \
                   [vi[o] for o in win[-1].output if o in vi]
            if not outs or not ins: continue
            mm = helper.make_model(helper.make_graph(win, f"{base}_{s}_{w}", ins, outs, inits),
                                   opset_imports=m.opset_import, ir_version=m.ir_version)
            b = mm.SerializeToString()
            if len(b) <= limit:
                open(os.path.join(out, f"{base}_{s}_{w}.onnx"), "wb").write(b)
                written += 1
print(base, written)
