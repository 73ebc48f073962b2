#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node) as inr's external oracle and speed peer.
//
//   node ort_run.js run   MODEL OUTDIR INPUT.npy...   run once; writes OUTDIR/<output name>.npy
//   node ort_run.js bench MODEL --batch B --runs N --warmup W --threads T
//                                                    prints {"batch", "p50_ms", "min_ms", "images_per_s", ...}
// Inputs are matched to the model's inputs by position. CPU execution provider, graphOptimizationLevel
// "all", intra-op threads as given (default 2), the settings the data in ../shared was made with.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));

const kDescr = {'<f4': 'float32', '<i8': 'int64', '|u1': 'uint8', '|i1': 'int8', '<i4': 'int32', '<f2': 'float16'};
const kArrays = {float32: Float32Array, int64: BigInt64Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array,
                 float16: Uint16Array};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not an .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran order not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const type = kDescr[descr];
  if (!type) throw new Error(`${file}: dtype ${descr} not supported`);
  const data = buf.subarray(hstart + hlen);
  const Arr = kArrays[type];
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return new ort.Tensor(type, new Arr(copy.buffer), shape);
}

function writeNpy(file, tensor) {
  const descr = Object.keys(kDescr).find(k => kDescr[k] === tensor.type);
  if (!descr) throw new Error(`output type ${tensor.type} not supported`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file + '.tmp', Buffer.concat([pre, Buffer.from(header, 'latin1'), data]));
  fs.renameSync(file + '.tmp', file);
}

function arg(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
}

async function main() {
  const [cmd, model, ...rest] = process.argv.slice(2);
  const threads = Number(arg(rest, '--threads', 2));
  const session = await ort.InferenceSession.create(model, {intraOpNumThreads: threads, interOpNumThreads: 1,
                                                           graphOptimizationLevel: 'all'});
  if (cmd === 'run') {
    const [outdir, ...inputs] = rest;
    const feeds = {};
    inputs.forEach((f, i) => { feeds[session.inputNames[i]] = readNpy(f); });
    const out = await session.run(feeds);
    fs.mkdirSync(outdir, {recursive: true});
    for (const name of session.outputNames) writeNpy(path.join(outdir, name.replace(/[\/\\]/g, '_') + '.npy'), out[name]);
  } else if (cmd === 'bench') {
    const batch = Number(arg(rest, '--batch', 1));
    const runs = Number(arg(rest, '--runs', 50));
    const warmup = Number(arg(rest, '--warmup', 5));
    const meta = session.inputMetadata ? session.inputMetadata[0] : null;
    let dims = meta && meta.shape ? meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : (i === 0 ? batch : 1))) : [batch, 3, 224, 224];
    dims[0] = batch;
    const n = dims.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n);
    let seed = 1;
    for (let i = 0; i < n; ++i) { seed = (seed * 1103515245 + 12345) % 2147483648; x[i] = seed / 2147483648 * 2 - 1; }
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', x, dims)};
    for (let i = 0; i < warmup; ++i) await session.run(feeds);
    const ms = [];
    for (let i = 0; i < runs; ++i) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const p = q => ms[Math.min(ms.length - 1, Math.floor(q * (ms.length - 1) + 0.5))];
    console.log(JSON.stringify({engine: 'onnxruntime-node', version: ort.env.versions ? ort.env.versions.common : '',
                                batch, runs, p50_ms: p(0.5), p90_ms: p(0.9), min_ms: ms[0], max_ms: ms[ms.length - 1],
                                images_per_s: batch * 1000 / p(0.5)}));
  } else {
    throw new Error(`unknown command ${cmd} (run | bench)`);
  }
}

main().catch(e => { console.error(`ort_run: error: ${e.message}`); process.exit(1); });
