// wasm/ort_worker.js — the μLM's home in the browser: a Web Worker that owns onnxruntime-web
// (wasm backend, SIMD, 2 threads when the page is cross-origin isolated), one InferenceSession per
// loaded model and that model's KV cache. The page's main thread (wasm/web_bridge.js) only sends
// token ids and gets the last position's logits back, so rendering never waits for inference and
// the KV tensors never cross threads.
//
// Messages in (from web_bridge.js):
//   {type:'load', slot, model, tokenizer, threads, spin}   fetch the runtime (once), the model and
//                                    the tokenizer (with progress), create the session, warm it up.
//                                    threads 0: 2 when cross-origin isolated (1 on a 2-core machine,
//                                    so the page keeps a core to render), else 1; set once per page.
//                                    spin: let ORT's threads spin between runs (its native default,
//                                    for benchmarks); off in the app, where they would burn a core
//                                    the page needs while the main thread handles each token
//   {type:'run', slot, id, ids:Int32Array, keep}     keep the first `keep` positions of the KV
//                                    cache (0: a cold prefill; its length: a step) and run ids after them
//   {type:'release', slot}
// Messages out:
//   {type:'progress', slot, stage:'runtime'|'model'|'session', loaded, total}
//   {type:'loaded', slot, ok, message, info, tokenizer}     info: vocab_size, n_layers, ...
//   {type:'logits', slot, id, ok, message, logits:Float32Array, past, run_ms}
//
// The ONNX contract is core/model.h's (Optimum layout): input_ids, attention_mask, position_ids,
// past_key_values.{i}.key|value (past = 0 on the first call); outputs logits, present.{i}.key|value.
'use strict';

const base = self.location.href.slice(0, self.location.href.lastIndexOf('/') + 1);
const models = new Map();  // slot -> {session, info, past: Map(name -> Tensor), length, queue}
let runtime = null;        // a promise, resolved once ort is ready

const post = (msg, transfer) => self.postMessage(msg, transfer || []);

// GET with download progress (Content-Length when the server sends it).
async function fetchWithProgress(url, onProgress) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body || !total) {
    const buf = await response.arrayBuffer();
    onProgress(buf.byteLength, buf.byteLength);
    return buf;
  }
  const reader = response.body.getReader();
  const out = new Uint8Array(total);
  let loaded = 0, lastReport = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > out.length) throw new Error(`${url}: more bytes than its Content-Length`);
    out.set(value, loaded);
    loaded += value.length;
    if (loaded - lastReport > (1 << 18) || loaded === total) { onProgress(loaded, total); lastReport = loaded; }
  }
  return loaded === total ? out.buffer : out.buffer.slice(0, loaded);
}

function startRuntime(slot, threads) {
  if (runtime) return runtime;
  runtime = (async () => {
    importScripts(base + 'ort.wasm.min.js');  // defines self.ort
    const ort = self.ort;
    const cores = self.navigator?.hardwareConcurrency || 2;
    ort.env.wasm.numThreads = threads > 0 ? threads : (self.crossOriginIsolated ? Math.max(1, Math.min(2, cores - 1)) : 1);
    ort.env.wasm.proxy = false;  // this worker already is the proxy
    ort.env.wasm.wasmPaths = base;
    ort.env.logLevel = 'error';
    // Fetched here so that the page can show its progress; ORT then skips its own fetch.
    ort.env.wasm.wasmBinary = await fetchWithProgress(base + 'ort-wasm-simd-threaded.wasm',
      (loaded, total) => post({ type: 'progress', slot, stage: 'runtime', loaded, total }));
    return ort;
  })();
  runtime.catch(() => { runtime = null; });  // a failed start (network) is tried again on the next load
  return runtime;
}

// Shapes and names the C++ side needs (the native backend reads the same from the session).
function describe(session) {
  const info = { n_layers: 0, n_kv_heads: 0, head_dim: 0, vocab_size: 0,
    has_attention_mask: session.inputNames.includes('attention_mask'),
    has_position_ids: session.inputNames.includes('position_ids') };
  if (!session.inputNames.includes('input_ids')) throw new Error('the model has no input_ids input: not a decoder of the Optimum layout');
  const meta = new Map((session.inputMetadata || []).map((m) => [m.name, m]));
  while (session.inputNames.includes(`past_key_values.${info.n_layers}.key`)) info.n_layers++;
  if (!info.n_layers) throw new Error('the model has no past_key_values inputs: export it with a KV cache');
  const shape = meta.get('past_key_values.0.key')?.shape || [];
  if (shape.length !== 4 || typeof shape[1] !== 'number' || typeof shape[3] !== 'number')
    throw new Error('past_key_values.0.key must be [batch, kv_heads, past, head_dim] with fixed kv_heads and head_dim');
  info.n_kv_heads = shape[1];
  info.head_dim = shape[3];
  const logits = (session.outputMetadata || []).find((m) => m.name === 'logits');
  if (logits && typeof logits.shape?.[2] === 'number') info.vocab_size = logits.shape[2];
  for (const name of session.inputNames)
    if (!/^(input_ids|attention_mask|position_ids|past_key_values\.\d+\.(key|value))$/.test(name))
      throw new Error(`the model has an input Headstart does not know how to feed: ${name}`);
  return info;
}

async function load({ slot, model, tokenizer, threads, spin }) {
  try {
    const ort = await startRuntime(slot, threads);
    const [bytes, tokenizerText] = await Promise.all([
      fetchWithProgress(new URL(model, base).href,
        (loaded, total) => post({ type: 'progress', slot, stage: 'model', loaded, total })),
      fetch(new URL(tokenizer, base).href).then((r) => {
        if (!r.ok) throw new Error(`cannot fetch ${tokenizer}: HTTP ${r.status}`);
        return r.text();
      }),
    ]);
    post({ type: 'progress', slot, stage: 'session', loaded: 0, total: 1 });
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(new Uint8Array(bytes), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      // int8 weights folded to fp32 at load, as natively (native/ort_model.cpp says why).
      extra: { session: { disable_quant_qdq: '1', intra_op: { allow_spinning: spin ? '1' : '0' } } },
    });
    const info = describe(session);
    const m = { session, info, past: new Map(), length: 0, queue: Promise.resolve() };
    // One throw-away run: the first session.run pays for kernel and thread start-up, which
    // should not land on the first question's time to first token.
    await runOnce(m, [0], 0);
    m.past.clear();
    m.length = 0;
    info.session_ms = performance.now() - t0;
    info.threads = ort.env.wasm.numThreads;
    info.isolated = !!self.crossOriginIsolated;
    models.set(slot, m);
    post({ type: 'progress', slot, stage: 'session', loaded: 1, total: 1 });
    post({ type: 'loaded', slot, ok: true, message: '', info, tokenizer: tokenizerText });
  } catch (e) {
    post({ type: 'loaded', slot, ok: false, message: `cannot load the μLM ${model}: ${e?.message || e}`, info: null, tokenizer: '' });
  }
}

// Cuts each past tensor [1, kv_heads, length, head_dim] to its first `keep` positions.
function truncate(m, keep) {
  const ort = self.ort;
  const heads = m.info.n_kv_heads, dim = m.info.head_dim, old = m.length;
  for (const [name, t] of m.past) {
    const from = t.data, to = new Float32Array(heads * keep * dim);
    for (let h = 0; h < heads; h++) to.set(from.subarray(h * old * dim, (h * old + keep) * dim), h * keep * dim);
    t.dispose?.();
    m.past.set(name, new ort.Tensor('float32', to, [1, heads, keep, dim]));
  }
  m.length = keep;
}

async function runOnce(m, ids, keep) {
  const ort = self.ort;
  if (keep > m.length) throw new Error(`the KV cache holds ${m.length} positions, the run expected ${keep} (an earlier run failed)`);
  if (keep === 0) { m.past.clear(); m.length = 0; }
  else if (keep < m.length) truncate(m, keep);
  const seq = ids.length, past = m.length;
  const feeds = {};
  for (const name of m.session.inputNames) {
    if (name === 'input_ids') {
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, seq]);
    } else if (name === 'attention_mask') {
      feeds[name] = new ort.Tensor('int64', new BigInt64Array(past + seq).fill(1n), [1, past + seq]);
    } else if (name === 'position_ids') {
      const p = new BigInt64Array(seq);
      for (let i = 0; i < seq; i++) p[i] = BigInt(past + i);
      feeds[name] = new ort.Tensor('int64', p, [1, seq]);
    } else {  // past_key_values.*: empty at the start, then the previous run's present.*
      feeds[name] = m.past.get(name) ||
        new ort.Tensor('float32', new Float32Array(0), [1, m.info.n_kv_heads, 0, m.info.head_dim]);
    }
  }
  const t0 = performance.now();
  const out = await m.session.run(feeds);
  const runMs = performance.now() - t0;
  for (const name of m.session.inputNames)
    if (name.startsWith('past_key_values.')) {
      const present = out['present' + name.slice('past_key_values'.length)];
      if (!present) throw new Error(`the model has no output present${name.slice('past_key_values'.length)}`);
      m.past.get(name)?.dispose?.();
      m.past.set(name, present);
    }
  m.length = past + seq;
  const logits = out.logits;
  if (!logits || logits.dims.length !== 3) throw new Error('logits must be [batch, seq, vocab]');
  const vocab = logits.dims[2];
  const rows = logits.dims[1];  // seq, or 1 from a model that projects only the last position (quant.py -last)
  if (rows !== seq && rows !== 1) throw new Error(`logits must be [batch, ${seq} or 1, vocab], got rows ${rows}`);
  const last = logits.data.slice((rows - 1) * vocab, rows * vocab);  // a copy: transferable
  logits.dispose?.();
  return { logits: last, runMs };
}

function run({ slot, id, ids, keep }) {
  const m = models.get(slot);
  if (!m) { post({ type: 'logits', slot, id, ok: false, message: 'no μLM loaded in this slot' }); return; }
  // One session.run at a time per session: queue behind the previous run.
  m.queue = m.queue.then(async () => {
    try {
      const { logits, runMs } = await runOnce(m, ids, keep);
      post({ type: 'logits', slot, id, ok: true, message: '', logits, past: m.length, run_ms: runMs }, [logits.buffer]);
    } catch (e) {
      m.past.clear();
      m.length = 0;
      post({ type: 'logits', slot, id, ok: false, message: `onnxruntime-web failed to run: ${e?.message || e}` });
    }
  });
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'load') load(msg);
  else if (msg.type === 'run') run(msg);
  else if (msg.type === 'release') {
    const m = models.get(msg.slot);
    if (m) m.queue.then(() => m.session.release?.());
    models.delete(msg.slot);
  }
};
