// parity.cjs — runs an exported μLM in ONNX Runtime (onnxruntime-node, the ORT the C++ core links) and
// writes what it computed; training/parity.py compares that against torch and judges.
//
//   NODE_PATH=.deps/web/node_modules node training/parity.cjs SPEC.json OUT.json
//
// SPEC: {model, n_layers, n_kv_heads, head_dim, vocab_size, ids, split, greedy_prompt, greedy_steps,
//        batch_rows, timing_steps, session_config, backend ('node' | 'web')}
// OUT:  logits as base64 float32 (row-major):
//   prefill   [N, V]   all of `ids` in one call with an empty past (P = 0)
//   chunked   [N-k, V] ids[0:k] with P = 0, then ids[k:N] as one call on that cache
//   stepwise  [N, V]   ids[0] with P = 0, then one token per call
//   batch     [B, Tmax, V]  `batch_rows` left-padded (attention_mask 0 on pads, positions from 0 at the
//             first real token), one call
//   greedy    ids      argmax decoding of greedy_steps tokens after greedy_prompt with the KV cache
//   present_shape      dims of present.0.key after the prefill
//   timing    {load_ms, prefill_ms, step_ms_median, step_ms_mean}
'use strict';
const fs = require('fs');
// spec.backend 'web' runs onnxruntime-web's wasm backend (what the browser build uses) instead
const ort = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).backend === 'web'
  ? require('onnxruntime-web') : require('onnxruntime-node');

function int64(rows) {
  const B = rows.length, T = rows[0].length;
  const data = new BigInt64Array(B * T);
  rows.forEach((r, b) => r.forEach((v, t) => { data[b * T + t] = BigInt(v); }));
  return new ort.Tensor('int64', data, [B, T]);
}

function emptyPast(spec, B) {
  const feeds = {};
  for (let i = 0; i < spec.n_layers; i++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [B, spec.n_kv_heads, 0, spec.head_dim]);
    }
  }
  return feeds;
}

function presentsAsPast(spec, out) {
  const feeds = {};
  for (let i = 0; i < spec.n_layers; i++) {
    for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`];
  }
  return feeds;
}

// One decoder call. ids/mask/pos are arrays of rows; past is a feeds object (emptyPast or presentsAsPast).
async function step(session, ids, mask, pos, past) {
  const feeds = Object.assign({ input_ids: int64(ids), attention_mask: int64(mask), position_ids: int64(pos) }, past);
  return session.run(feeds);
}

function range(a, b) { return Array.from({ length: b - a }, (_, i) => a + i); }
function ones(n) { return new Array(n).fill(1); }
function b64(f32) { return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64'); }
function lastRowArgmax(logits, V) {
  const d = logits.data, off = d.length - V;
  let best = 0;
  for (let v = 1; v < V; v++) if (d[off + v] > d[off + best]) best = v;
  return best;
}

async function main() {
  const [specPath, outPath] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const V = spec.vocab_size, ids = spec.ids, N = ids.length, k = spec.split;
  const opts = { graphOptimizationLevel: spec.graph_optimization || 'all', intraOpNumThreads: spec.threads || 1, interOpNumThreads: 1 };
  if (spec.session_config && Object.keys(spec.session_config).length) opts.extra = spec.session_config;
  if (spec.backend === 'web') { ort.env.wasm.numThreads = 1; opts.executionProviders = ['wasm']; }
  let t0 = performance.now();
  const session = await ort.InferenceSession.create(
    spec.backend === 'web' ? new Uint8Array(fs.readFileSync(spec.model)) : spec.model, opts);
  const out = { load_ms: performance.now() - t0, input_names: session.inputNames, output_names: session.outputNames };

  // 1. prefill of the whole sequence on an empty past
  const pre = await step(session, [ids], [ones(N)], [range(0, N)], emptyPast(spec, 1));
  out.prefill = b64(pre.logits.data);
  out.logits_shape = pre.logits.dims;
  out.present_shape = pre['present.0.key'].dims;

  // 2. chunked: a prefix, then the rest as one call on its cache
  const a = await step(session, [ids.slice(0, k)], [ones(k)], [range(0, k)], emptyPast(spec, 1));
  const b = await step(session, [ids.slice(k)], [ones(N)], [range(k, N)], presentsAsPast(spec, a));
  out.chunked = b64(b.logits.data);

  // 3. token by token
  const stepwise = new Float32Array(N * V);
  let past = emptyPast(spec, 1);
  for (let t = 0; t < N; t++) {
    const r = await step(session, [[ids[t]]], [ones(t + 1)], [[t]], past);
    stepwise.set(r.logits.data, t * V);
    past = presentsAsPast(spec, r);
  }
  out.stepwise = b64(stepwise);

  // 4. a left-padded batch
  const rows = spec.batch_rows, Tmax = Math.max(...rows.map(r => r.length));
  const bIds = [], bMask = [], bPos = [];
  for (const r of rows) {
    const pad = Tmax - r.length;
    bIds.push(new Array(pad).fill(0).concat(r));
    bMask.push(new Array(pad).fill(0).concat(ones(r.length)));
    bPos.push(new Array(pad).fill(0).concat(range(0, r.length)));
  }
  const batch = await step(session, bIds, bMask, bPos, emptyPast(spec, rows.length));
  out.batch = b64(batch.logits.data);
  out.batch_shape = batch.logits.dims;

  // 5. greedy decoding with the cache, timed
  const prompt = spec.greedy_prompt, P0 = prompt.length;
  t0 = performance.now();
  let r = await step(session, [prompt], [ones(P0)], [range(0, P0)], emptyPast(spec, 1));
  out.prefill_ms = performance.now() - t0;
  const greedy = [lastRowArgmax(r.logits, V)];
  const stepTimes = [];
  const nSteps = Math.max(spec.greedy_steps, spec.timing_steps || 0);
  for (let s = 1; s < nSteps; s++) {
    const pos = P0 + s - 1;
    t0 = performance.now();
    r = await step(session, [[greedy[s - 1]]], [ones(pos + 1)], [[pos]], presentsAsPast(spec, r));
    stepTimes.push(performance.now() - t0);
    greedy.push(lastRowArgmax(r.logits, V));
  }
  out.greedy = greedy.slice(0, spec.greedy_steps);
  stepTimes.sort((x, y) => x - y);
  out.step_ms_median = stepTimes.length ? stepTimes[stepTimes.length >> 1] : null;
  out.step_ms_mean = stepTimes.length ? stepTimes.reduce((x, y) => x + y, 0) / stepTimes.length : null;
  fs.writeFileSync(outPath, JSON.stringify(out));
}

main().catch(e => { console.error(e && e.stack || e); process.exit(1); });
