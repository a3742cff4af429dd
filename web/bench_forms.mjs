// web/bench_forms.mjs — onnxruntime-web (its wasm build, under node, 1 thread): a 24-token prefill and 5 decode
// steps per run, 8 runs, median ms, for each model file given (docs/benchmarks.md, "Which inference path").
//   node web/bench_forms.mjs '{"n_layers":8,"kv":2,"hd":64}' build/quant/models/mulm-8m.{fp32,nbits8-b32,dqmm}.onnx
import * as ort from '../.deps/web/node_modules/onnxruntime-web/dist/ort.min.mjs';
import fs from 'fs';
ort.env.wasm.numThreads = 1;
const cfg = JSON.parse(process.argv[2]);
for (const f of process.argv.slice(3)) {
  const s = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(f)), {executionProviders: ['wasm'], graphOptimizationLevel: 'all', extra: {session: {disable_quant_qdq: '1'}}});
  const run = async (T, P, past) => {
    const feeds = {};
    feeds.input_ids = new ort.Tensor('int64', BigInt64Array.from({length: T}, (_, i) => BigInt(100 + i)), [1, T]);
    feeds.attention_mask = new ort.Tensor('int64', BigInt64Array.from({length: P + T}, () => 1n), [1, P + T]);
    feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from({length: T}, (_, i) => BigInt(P + i)), [1, T]);
    for (let l = 0; l < cfg.n_layers; ++l) for (const kv of ['key', 'value']) {
      const n = `past_key_values.${l}.${kv}`;
      feeds[n] = past ? past[`present.${l}.${kv}`] : new ort.Tensor('float32', new Float32Array(0), [1, cfg.kv, 0, cfg.hd]);
    }
    return await s.run(feeds);
  };
  const pre = [], dec = [];
  for (let r = 0; r < 8; ++r) {
    let t0 = performance.now(); let out = await run(24, 0, null); pre.push(performance.now() - t0);
    for (let k = 0; k < 5; ++k) { t0 = performance.now(); out = await run(1, 24 + k, out); dec.push(performance.now() - t0); }
  }
  const med = a => a.sort((x, y) => x - y)[a.length >> 1];
  console.log(f.split('/').pop(), 'prefill24', med(pre).toFixed(2), 'decode', med(dec).toFixed(2));
}
