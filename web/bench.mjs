// web/bench.mjs — the μLM benchmark in the browser beside the native one: the same models, prompts
// and teacher-forced openers (cli/bench.cpp, wasm/web_bench.cpp), the same figures (TTFT, time
// to 4 words, decode ms per token; p50), native ONNX Runtime vs onnxruntime-web (wasm, SIMD) in
// headless Chromium, and their ratio. Target: web within 2.5x of native on the 28M model.
//   node web/bench.mjs --dist build/wasm/web --native build/native/cli/headstart \
//        --models build/bench-models/untrained-8m-int8.onnx,... --tokenizer build/native/fixtures/tokenizer.json \
//        [--threads 1,2] [--runs 3] [--kernels auto,fp32] [--json build/bench/web.json]
// (web/bench.sh fills in the defaults.) --kernels: the native kernel choices timed (native/ort_model.h; the
// first is the one the ratios are against, the others are printed beside it); the page folds to fp32. The page is served with COOP/COEP, so 2 threads are real.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from './serve.mjs';
import { cliArgs, launchChromium, root } from './harness.mjs';

const args = cliArgs();
const dist = path.resolve(args.dist || path.join(root, 'build/wasm/web'));
const native = path.resolve(args.native || path.join(root, 'build/native/cli/headstart'));
const models = (args.models || ['8m', '16m', '28m'].map((c) => `build/bench-models/untrained-${c}-int8.onnx`).join(','))
  .split(',').filter(Boolean).map((m) => path.resolve(m));
const tokenizer = path.resolve(args.tokenizer || path.join(root, 'build/bench-models/bench-tokenizer.json'));
const threads = (args.threads || '1,2').split(',').map(Number);
const runs = Number(args.runs || 3);
const kernels = (args.kernels || 'auto').split(',').filter(Boolean);
const jsonOut = args.json ? path.resolve(args.json) : null;

for (const f of [path.join(dist, 'index.html'), native, tokenizer, ...models])
  if (!fs.existsSync(f)) { console.error(`web/bench.mjs: missing ${f}`); process.exit(2); }
const modelDir = path.dirname(models[0]);
if (models.some((m) => path.dirname(m) !== modelDir)) { console.error('web/bench.mjs: the models must share one folder'); process.exit(2); }

// --- native: `headstart bench --teacher-forced` -------------------------------------------------
console.log(`== native ONNX Runtime (${native} bench --teacher-forced, threads ${threads}, runs ${runs})`);
const nativeJson = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'headstart-bench-')), 'native.json');
execFileSync(native, ['bench', '--models', models.join(','), '--tokenizer', tokenizer, '--threads', threads.join(','),
  '--runs', String(runs), '--kernels', kernels.join(','), '--teacher-forced', '--no-baseline', '--json', nativeJson],
  { stdio: 'inherit' });
const nativeReport = JSON.parse(fs.readFileSync(nativeJson, 'utf8'));

// --- web: the page's bench mode in headless Chromium --------------------------------------------
const server = await serve(dist, 0, '127.0.0.1', { '/bench-models/': modelDir, '/bench-tokenizer/': path.dirname(tokenizer) });
const base = `http://127.0.0.1:${server.address().port}/`;
const { browser, close } = await launchChromium({ graphics: false,
  args: (process.env.CHROMIUM_FLAGS || '').split(' ').filter(Boolean) });
const webReports = [];
try {
  for (const t of threads) {
    console.log(`== onnxruntime-web in Chromium, ${t} thread(s)`);
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`  [page] ${m.text()}`); });
    const url = `${base}?bench=${models.map((m) => 'bench-models/' + path.basename(m)).join(',')}` +
      `&tokenizer=bench-tokenizer/${path.basename(tokenizer)}&runs=${runs}&threads=${t}`;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.headstart?.benchReport, { timeout: 30 * 60000, polling: 250 });
    const report = await page.evaluate(() => window.headstart.benchReport);
    report.isolated = await page.evaluate(() => window.crossOriginIsolated);
    if (report.error) throw new Error(`the page's bench failed: ${report.error}`);
    webReports.push(report);
    await page.close();
  }
} finally {
  await close();
  server.close();
}

// --- side by side -------------------------------------------------------------------------------
const rows = [];
for (const w of webReports)
  for (const r of w.results) {
    const name = path.basename(r.model);
    const natives = kernels.map((k) => nativeReport.results.find((x) => path.basename(x.model) === name &&
      x.threads === r.threads && (x.kernels_asked ?? 'auto') === k));
    const n = natives[0];
    if (!n) continue;
    const fig = (rep, key) => rep.kv_cache[key].p50;
    // Read ahead: {typed, paused} x {ttft, four} p50, and the prompt tokens left at Enter.
    const ahead = (rep) => Object.fromEntries(['typed', 'paused'].map((k) => {
      const a = rep[`${k}_ahead`];
      return [k, { ttft: a?.ttft_ms?.p50 ?? NaN, four: a?.time_to_4_words_ms?.p50 ?? NaN,
                   left: `${a?.tokens_at_enter_p50} of ${a?.prompt_tokens_p50}` }];
    }));
    rows.push({
      model: name, threads: r.threads, native_kernels: n.kernels ?? 'fp32',
      // the other native kernel choices (e.g. fp32 beside the shipped 8-bit kernels): TTFT, 4 words, decode
      native_others: natives.slice(1).filter(Boolean).map((o) => ({ kernels: o.kernels, ttft: fig(o, 'ttft_ms'),
        four: fig(o, 'time_to_4_words_ms'), step: fig(o, 'decode_ms_per_token') })),
      native: { ttft: fig(n, 'ttft_ms'), four: fig(n, 'time_to_4_words_ms'), step: fig(n, 'decode_ms_per_token'), load: n.load_ms,
                ...ahead(n) },
      web: { ttft: fig(r, 'ttft_ms'), four: fig(r, 'time_to_4_words_ms'), step: fig(r, 'decode_ms_per_token'),
             run: r.worker_run_ms_per_token.p50, prefill: r.worker_prefill_ms.p50, load: r.load_ms, ...ahead(r) },
    });
  }
const pad = (s, n) => String(s).padEnd(n);
const f = (x) => x.toFixed(2);
console.log(`\n== native vs web (p50, ms; ratio = web / native [${rows[0]?.native_kernels ?? kernels[0]}])`);
console.log(`${pad('model', 26)} thr | ${pad('TTFT native / web', 24)} | ${pad('4 words native / web', 24)} | ${pad('decode/token native / web', 28)} | in the worker: prefill / step`);
for (const r of rows) {
  const cell = (a, b) => pad(`${f(a)} / ${f(b)}  ${(b / a).toFixed(2)}x`, 24);
  console.log(`${pad(r.model, 26)} ${pad(r.threads, 3)} | ${cell(r.native.ttft, r.web.ttft)} | ${cell(r.native.four, r.web.four)} | ` +
    `${pad(`${f(r.native.step)} / ${f(r.web.step)}  ${(r.web.step / r.native.step).toFixed(2)}x`, 28)} | ${f(r.web.prefill)} / ${f(r.web.run)}`);
}
for (const r of rows)
  for (const o of r.native_others) {
    const cell = (a, b) => pad(`${f(a)} / ${f(b)}  ${(b / a).toFixed(2)}x`, 24);
    console.log(`${pad(`${r.model} [native ${o.kernels}]`, 26)} ${pad(r.threads, 3)} | ${cell(o.ttft, r.web.ttft)} | ` +
      `${cell(o.four, r.web.four)} | ${pad(`${f(o.step)} / ${f(r.web.step)}  ${(r.web.step / o.step).toFixed(2)}x`, 28)} |`);
  }
const passes = {
  typed: 'typed ahead: the finished words were read while typing (untimed); Enter leaves the last word + ChatML tail',
  paused: 'after a pause: the whole prompt was read (untimed); Enter runs its last token',
};
for (const [k, title] of Object.entries(passes)) {
  console.log(`\n== ${title}`);
  console.log(`${pad('model', 26)} thr | ${pad('TTFT native / web', 24)} | ${pad('4 words native / web', 24)} | prompt tokens left at Enter`);
  for (const r of rows) {
    const cell = (a, b) => pad(`${f(a)} / ${f(b)}  ${(b / a).toFixed(2)}x`, 24);
    console.log(`${pad(r.model, 26)} ${pad(r.threads, 3)} | ${cell(r.native[k].ttft, r.web[k].ttft)} | ` +
      `${cell(r.native[k].four, r.web[k].four)} | ${r.web[k].left}`);
  }
}
console.log('');
for (const r of rows.filter((x) => /28m/.test(x.model))) {
  const step = r.web.step / r.native.step;
  const worst = (ttft, four) => Math.max(ttft, four, step);
  const cold = worst(r.web.ttft / r.native.ttft, r.web.four / r.native.four);
  const typed = worst(r.web.typed.ttft / r.native.typed.ttft, r.web.typed.four / r.native.typed.four);
  const paused = worst(r.web.paused.ttft / r.native.paused.ttft, r.web.paused.four / r.native.paused.four);
  const verdict = (x) => `${x.toFixed(2)}x (${x <= 2.5 ? 'met' : 'NOT met'})`;
  console.log(`28M, ${r.threads} thread(s), worst web/native ratio of TTFT, 4 words, decode (target 2.5x): ` +
    `cold ${verdict(cold)}, typed ahead ${verdict(typed)}, after a pause ${verdict(paused)}`);
}
console.log(`(cross-origin isolated: ${webReports.map((w) => w.isolated).join(', ')}; ` +
  `${os.cpus().length} CPUs, ${os.cpus()[0]?.model}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
if (jsonOut) {
  fs.mkdirSync(path.dirname(jsonOut), { recursive: true });
  fs.writeFileSync(jsonOut, JSON.stringify({ native: nativeReport, web: webReports, side_by_side: rows }, null, 2) + '\n');
  console.log(`wrote ${jsonOut}`);
}
