// web/bench_matmul.mjs — where the browser's prefill time goes: the μLM's MatMuls alone (web/matmul_only.py)
// at 1, 8 and 24 tokens, one thread, native ONNX Runtime (onnxruntime-node, the same libonnxruntime the
// native build links) vs onnxruntime-web's wasm backend (the same .wasm the page runs, here under node).
//   NODE_PATH=.deps/web/node_modules node web/bench_matmul.mjs build/bench-models/matmul-28m.onnx
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const file = process.argv[2];
if (!file || !fs.existsSync(file)) { console.error('usage: node web/bench_matmul.mjs MATMUL.onnx'); process.exit(2); }
const modules = process.env.NODE_PATH?.split(':').find((p) => fs.existsSync(path.join(p, 'onnxruntime-web')));
if (!modules) { console.error('web/bench_matmul.mjs: NODE_PATH must hold onnxruntime-web and onnxruntime-node (scripts/setup)'); process.exit(2); }
const require = createRequire(path.join(modules, 'noop.js'));

async function time(ort, options, T) {
  const s = await ort.InferenceSession.create(file, options);
  const dims = Object.fromEntries(s.inputMetadata.map((m) => [m.name, m.shape[1]]));
  const feeds = Object.fromEntries(Object.entries(dims).map(([name, n]) =>
    [name, new ort.Tensor('float32', new Float32Array(T * n).fill(0.1), [T, n])]));
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const ms = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); await s.run(feeds); ms.push(performance.now() - t0); }
  await s.release?.();
  return ms.sort((a, b) => a - b)[7];
}

const native = require('onnxruntime-node');
const web = require('onnxruntime-web');
web.env.wasm.numThreads = 1;
console.log(`${path.basename(file)}: MatMuls only, p50 of 15 runs, 1 thread (ms)`);
console.log('tokens | native | web   | web / native');
for (const T of [1, 8, 24]) {
  const n = await time(native, { intraOpNumThreads: 1, interOpNumThreads: 1 }, T);
  const w = await time(web, { executionProviders: ['wasm'] }, T);
  console.log(`${String(T).padStart(6)} | ${n.toFixed(2).padStart(6)} | ${w.toFixed(2).padStart(5)} | ${(w / n).toFixed(2)}x`);
}
process.exit(0);
