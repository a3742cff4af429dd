// web/tests/e2e.mjs — the browser demo end to end, in a real headless Chromium (puppeteer-core
// driving /usr/bin/chromium):
//   1. starts a real headstart-cloud (the native binary, the tiny test model) that also serves the
//      built page, so the page is cross-origin isolated (COOP/COEP) exactly as `scripts/demo web`
//   2. loads the page, waits for the progress bar to pass the runtime, μLM and session stages
//   3. asks a question through window.headstart.ask(), and reads window.headstart.state() until
//      the opener, the handoff and the cloud's continuation are there and the turn is done
//   4. checks the page kept rendering while the μLM ran, takes a screenshot (not blank)
//   5. failure paths: a dead cloud port, an HTTP 503 and a stream cut mid-way each end the turn
//      gracefully, with the same outcome a native turn has
//   6. the Race tab (cloud only vs μLM + cloud at once, on two drivers) and one blind study pair,
//      rated and still there after a reload (the localStorage study store)
//   7. served elsewhere: the same static files from another server (web/serve.mjs) with
//      ?cloud= pointing at headstart-cloud on another origin (CORS) also run a whole turn
//   node web/tests/e2e.mjs --dist build/wasm/web --out build/wasm/screenshots \
//        --cloud build/native/cloud/headstart-cloud --fixtures build/native/fixtures
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { serve } from '../serve.mjs';
import { checks, cliArgs, launchChromium, root, sleep } from '../harness.mjs';
import { startCloudProcess } from './cloud_process.mjs';

const args = cliArgs();
const dist = path.resolve(args.dist || 'build/wasm/web');
const out = path.resolve(args.out || 'build/wasm/screenshots');
const cloudBin = path.resolve(args.cloud || path.join(root, 'build/native/cloud/headstart-cloud'));
const fixtures = path.resolve(args.fixtures || path.join(root, 'build/native/fixtures'));
const { check, failures, end } = checks();

// A port nobody listens on: bind one, note it, close it.
const deadPort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

// headstart-cloud on a free port, serving the page; resolves with its URL once it listens.
function startCloud() {
  for (const f of [cloudBin, path.join(fixtures, 'tiny.onnx'), path.join(fixtures, 'tokenizer.json')])
    if (!fs.existsSync(f)) throw new Error(`missing ${f}: build the native preset first (cmake --build --preset native)`);
  return startCloudProcess(cloudBin, ['--port', '0', '--model', path.join(fixtures, 'tiny.onnx'),
    '--tokenizer', path.join(fixtures, 'tokenizer.json'), '--web', dist, '--allow-faults',
    '--first-token-ms', '250', '--jitter-ms', '0', '--per-token-ms', '15'], 20000);
}

// The turn as the app's state reports it (ui/state.h): somewhere in the state is the driver's
// snapshot ({status, running, error, turn}); flattened here to what the checks read.
function turnView(state) {
  const queue = [state];
  let snap = null;
  while (queue.length && !snap) {
    const o = queue.shift();
    if (o && typeof o === 'object') {
      if ('running' in o && 'turn' in o) snap = o;
      else queue.push(...Object.values(o));
    }
  }
  const t = snap?.turn;
  if (!t) return snap ? { phase: 'idle', running: snap.running, status: snap.status, error: snap.error } : null;
  return {
    running: snap.running, status: snap.status, error: snap.error,
    phase: t.phase, question: t.question, opener: t.opener, tokens: t.opener_tokens,
    handoff_ms: t.handoff?.t_ms ?? null, path: t.path, cloud_text: t.cloud_text, answer: t.answer?.visible,
    shown: t.shown_text, failure: t.failure, metrics: t.metrics,
    prompt_tokens: t.prompt?.tokens, prompt_reused: t.prompt?.reused,
  };
}

// Polls the state hook until `done(turn)` or the timeout; returns the last turn view and the
// time (ms after the call) each named condition first held.
async function watch(page, done, conditions, timeoutMs) {
  const t0 = Date.now(), seen = {};
  let turn = null;
  while (Date.now() - t0 < timeoutMs) {
    turn = turnView(await page.evaluate(() => window.headstart.state()));
    for (const [name, cond] of Object.entries(conditions))
      if (seen[name] === undefined && cond(turn)) seen[name] = Date.now() - t0;
    if (done(turn)) break;
    await sleep(25);
  }
  return { state: turn, seen };
}

const turnDone = (s) => s && s.phase === 'done' && s.running === false;
// The app copies the driver's snapshot once per frame: right after an ask the state may still show
// the previous turn, so a wait also checks the question (every ask here uses a different one).
const turnDoneFor = (question) => (s) => turnDone(s) && s.question === question;

fs.mkdirSync(out, { recursive: true });
const cloud = await startCloud();
const url = `${cloud.url}/`;
console.log(`page and cloud: ${url}`);
const { browser, close } = await launchChromium();
const logs = [];
try {
  const page = await browser.newPage();
  page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  // Record every progress text the page shows (the bar's stages).
  await page.evaluateOnNewDocument(() => {
    window.__progressTexts = [];
    new MutationObserver(() => {
      const t = document.getElementById('status')?.textContent;
      if (t && window.__progressTexts.at(-1) !== t) window.__progressTexts.push(t);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.headstart?.progress?.ready && window.headstart.state()?.frames > 30,
    { timeout: 90000, polling: 100 }).catch((e) => logs.push(`[timeout] ${e.message}`));
  const loadMs = Date.now() - t0;
  const boot = await page.evaluate(() => ({ state: window.headstart.state(), progress: window.headstart.progress,
    texts: window.__progressTexts, isolated: window.crossOriginIsolated }));
  console.log(`loaded in ${loadMs} ms; progress: ${boot.texts.join(' | ')}`);
  const state0 = boot.state;
  check(state0 && state0.app === 'headstart', 'the state hook answers');
  check(state0?.frames > 30, 'the app renders frames in the browser loop');
  check(state0?.platform === 'web', 'the app knows it runs on the web');
  check(state0?.shader_ok === true, 'the backdrop shader compiled as GLSL ES 3.00');
  check(state0?.framebuffer?.[0] >= 1000 && state0?.framebuffer?.[1] >= 600, 'the canvas fills the page');
  check(state0?.error === '', 'no app error');
  check(boot.isolated === true, 'headstart-cloud serves the page cross-origin isolated (COOP/COEP: threads)');
  check(boot.progress.ready && !boot.progress.modelError, `the μLM loaded (${boot.progress.modelError || 'no error'})`);
  check(['onnxruntime-web', 'the μLM', 'creating the μLM session'].every((s) => boot.texts.some((t) => t.includes(s))),
    'the progress bar went through the runtime, model and session stages');
  check(await page.evaluate(() => document.getElementById('loading').classList.contains('done')),
    'the loading overlay is gone');

  // --- one turn: opener, handoff, continuation --------------------------------------------------
  // Frame pacing: animation frames while idle, then while the turn runs (the μLM runs in a worker,
  // so the page's frame rate should not drop while it writes).
  const startFrames = () => page.evaluate(() => {
    window.__gaps = { max: 0, frames: 0, t0: performance.now(), last: performance.now(), on: true };
    const tick = (t) => {
      const g = window.__gaps;
      if (!g.on) return;
      g.max = Math.max(g.max, t - g.last); g.last = t; g.frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const stopFrames = () => page.evaluate(() => {
    const g = window.__gaps;
    g.on = false;
    return { frames: g.frames, max: g.max, fps: (1000 * g.frames) / (performance.now() - g.t0) };
  });
  await startFrames();
  await sleep(1500);
  const idle = await stopFrames();
  check(await page.evaluate(() => typeof window.ort === 'undefined'),
    'onnxruntime-web is not on the page\'s main thread (the μLM runs in a worker)');
  // The question in the box (the app's default) has been read into the μLM's KV cache meanwhile.
  const question = 'How do I make a good cup of coffee?';
  const typed = await page.evaluate(() => window.headstart.state());
  check(typed?.preread_tokens > 0, `the question in the box was read ahead (${typed?.preread_tokens} tokens)`);
  await startFrames();
  await page.evaluate((q) => window.headstart.ask(q), question);
  const turn = await watch(page, turnDoneFor(question), {
    opener_token: (s) => s?.tokens?.length > 0,
    handoff: (s) => s?.handoff_ms != null,
    continuation: (s) => s?.cloud_text?.length > 0,
  }, 60000);
  const gaps = await stopFrames();
  const s = turn.state;
  console.log('turn:', JSON.stringify({ ...s, tokens: s?.tokens?.map((t) => t.text) }));
  console.log(`seen at (ms after ask): ${JSON.stringify(turn.seen)}`);
  console.log(`frames idle: ${idle.fps.toFixed(1)} fps (longest gap ${idle.max.toFixed(0)} ms); ` +
    `during the turn: ${gaps.fps.toFixed(1)} fps (longest gap ${gaps.max.toFixed(0)} ms)`);
  check(turnDone(s), `the turn finished (phase ${s?.phase}, status "${s?.status}")`);
  check(s?.question === question, 'the turn is the question asked');
  // Idle that long, the whole prompt was read (ChatML tail included): the prefill ran one token.
  check(s?.prompt_reused === typed?.preread_tokens - 1 && s?.prompt_tokens === typed?.preread_tokens,
    `the prefill took ${s?.prompt_reused} of its ${s?.prompt_tokens} prompt tokens from the cache`);
  check(s?.tokens?.length > 0 && s.tokens.every((t) => typeof t.prob === 'number'), `the μLM wrote tokens (${s?.tokens?.length})`);
  const words = (s?.opener || '').trim().split(/\s+/).filter(Boolean);
  check(words.length >= 1 && words.length <= 8, `an opener of 1–8 words: "${s?.opener}"`);
  check(s?.handoff_ms > 0 && s?.metrics?.local_ttft_ms > 0 && s.metrics.local_ttft_ms <= s.handoff_ms,
    `handoff at ${s?.handoff_ms?.toFixed(1)} ms, local TTFT ${s?.metrics?.local_ttft_ms?.toFixed(1)} ms`);
  check(turn.seen.opener_token <= turn.seen.handoff && turn.seen.handoff <= turn.seen.continuation,
    'opener, then handoff, then the continuation (in that order)');
  check(s?.cloud_text?.trim().length > 0 && !s?.failure, `the cloud continued: "${s?.cloud_text}"`);
  check(s?.metrics?.cloud_ttft_ms >= 200, `cloud TTFT ${s?.metrics?.cloud_ttft_ms?.toFixed(0)} ms (the server's 250 ms first-token latency)`);
  check(typeof s?.path === 'string' && s.path.length > 0, `a correction path was recorded: "${s?.path}"`);
  check(s?.shown?.length > 0 && s?.answer?.length > 0, 'the words were shown at the presenter\'s pace');
  // Lenient bounds: headless Chromium renders WebGL on the CPU (SwiftShader), beside the test's
  // own server and whatever else the machine runs.
  check(gaps.fps >= 0.5 * idle.fps && gaps.max < 1000,
    `the page kept rendering during the turn (${gaps.fps.toFixed(1)} fps vs ${idle.fps.toFixed(1)} idle, longest gap ${gaps.max.toFixed(0)} ms)`);

  const shot = path.join(out, 'web.png');
  await page.screenshot({ path: shot });
  const colours = Number(execFileSync('identify', ['-format', '%k', shot]).toString());
  const sd = Number(execFileSync('convert', [shot, '-colorspace', 'Gray', '-format',
    '%[fx:int(1000*standard_deviation)]', 'info:']).toString());
  check(colours >= 50 && sd >= 20, `the screenshot is not blank (${colours} colours, stddev ${sd}/1000): ${shot}`);
  fs.writeFileSync(path.join(out, 'web-state.json'), JSON.stringify(await page.evaluate(() => window.headstart.state()), null, 2));

  // --- failure paths: each turn ends gracefully, as natively -----------------------------------
  const fallback = "I can't reach the cloud right now";
  const failing = async (what, { endpoint, headers }, expect) => {
    if (endpoint) check(await page.evaluate((u) => window.headstart.set('endpoint', u), endpoint) === '', `set endpoint ${endpoint}`);
    const q = `Why is the sky blue? (${what})`;
    await page.evaluate((q, h) => window.headstart.ask(q, { headers: h }), q, headers || {});
    const r = await watch(page, turnDoneFor(q), {}, 30000);
    const f = r.state;
    console.log(`${what}: failure "${f?.failure}", path "${f?.path}", shown "${f?.shown}"`);
    check(turnDone(f) && f.metrics?.failed === true && f.failure.startsWith(expect),
      `${what}: the turn ends as failed (${expect})`);
    if (endpoint) await page.evaluate((u) => window.headstart.set('endpoint', u), cloud.url);
    return f;
  };
  const dead = await failing('dead cloud port', { endpoint: `http://127.0.0.1:${await deadPort()}` }, 'unreachable');
  check(dead?.tokens?.length > 0 && dead?.opener && dead?.shown?.startsWith(dead.opener) && dead?.shown?.includes(fallback),
    'dead cloud port: the opener is still shown, then the graceful offline ending');
  const http = await failing('HTTP 503', { headers: { 'X-Headstart-Fault': 'status:503' } }, 'http_status');
  check(/503/.test(http?.failure) && /injected failure/.test(http?.failure), 'HTTP 503: the server\'s error text is kept');
  const cut = await failing('stream cut mid-way', { headers: { 'X-Headstart-Fault': 'cut:3' } }, 'cut_mid_stream');
  check(cut?.shown?.endsWith('…') || cut?.shown?.includes(fallback), 'cut mid-stream: the answer ends with an ellipsis (or the fallback)');

  // And the app recovers: the next turn against the real cloud works again.
  await page.evaluate(() => window.headstart.ask('What is the capital of France?'));
  const again = await watch(page, turnDoneFor('What is the capital of France?'), {}, 30000);
  // The cloud answered (its verdict tag counts as its first token): with greedy openers the tiny model may have
  // said the whole answer already ("The capital of France is Paris."), and an empty continuation is right then.
  const recovered = turnDone(again.state) && !again.state.failure && again.state.metrics.cloud_ttft_ms > 0 &&
                    /tag/.test(again.state.metrics.path);
  check(recovered, 'a turn after the failures succeeds');
  if (!recovered) {
    const { tokens, ...rest } = again.state;
    console.log('after the failures:', JSON.stringify(rest).slice(0, 1500));
  }

  // Read ahead or not, the μLM writes the same tokens (same seed): the worker cuts and extends its
  // KV cache correctly. Asked at once, the prompt is new (only its ChatML start is shared with the
  // last one); asked again after a pause, all of it but the last token comes from the cache.
  const sky = 'Why is the sky blue?';
  await page.evaluate((q) => window.headstart.ask(q), sky);
  const first = (await watch(page, turnDoneFor(sky), {}, 30000)).state;
  await sleep(1000);
  await page.evaluate((q) => window.headstart.ask(q), sky);
  const second = (await watch(page, turnDoneFor(sky), {}, 30000)).state;
  const texts = (s) => (s?.tokens || []).map((t) => t.text).join('|');
  check(first?.prompt_reused < first?.prompt_tokens - 1 && second?.prompt_reused === second?.prompt_tokens - 1,
    `cold: ${first?.prompt_reused} of ${first?.prompt_tokens} prompt tokens from the cache; again: ${second?.prompt_reused}`);
  check(texts(first).length > 0 && texts(first) === texts(second) &&
    first.tokens.every((t, i) => Math.abs(t.prob - second.tokens[i].prob) < 1e-3),
    `the same opener tokens with and without the cache: ${texts(second)}`);

  // --- the race: cloud only vs μLM + cloud at once --------------------------------------------
  const until = async (p, name, ms) => {
    const t = Date.now();
    while (Date.now() - t < ms) { if (await p.evaluate((n) => window.headstart.condition(n), name)) return true; await sleep(50); }
    return false;
  };
  check(await page.evaluate(() => window.headstart.race('What should I pack for a weekend hiking trip?')) === '', 'the race starts');
  const raced = await until(page, 'race_done', 60000);
  const race = (await page.evaluate(() => window.headstart.state())).race;
  console.log(`race: μLM + cloud "${race?.headstart?.turn?.shown_text}" | cloud only "${race?.cloud_only?.turn?.shown_text}"`);
  check(raced && race?.headstart?.turn?.opener_tokens?.length > 0 && race?.cloud_only?.turn?.opener_tokens?.length === 0 &&
        race?.headstart?.turn?.cloud_text && race?.cloud_only?.turn?.cloud_text,
    'the race ran both sides at once: μLM + cloud (with an opener) and cloud only');
  await page.screenshot({ path: path.join(out, 'web-race.png') });

  // --- one blind study pair, rated, kept in localStorage ---------------------------------------
  for (const [c, a] of [['participant', 'e2e'], ['seed', '7']])
    check(await page.evaluate((x, y) => window.headstart.study(x, y), c, a) === '', `study ${c} ${a}`);
  await page.evaluate(() => window.headstart.view('study'));
  check(await page.evaluate(() => window.headstart.study('next', 'How do solar panels generate electricity?')) === '', 'study next');
  const rating = await until(page, 'study_rating', 90000);
  check(rating && await page.evaluate(() => window.headstart.study('rate', 'a')) === '', 'a study pair played and was rated');
  await until(page, 'study_idle', 10000);
  const study = (await page.evaluate(() => window.headstart.state())).study;
  check(study?.trials === 1 && study?.durable === true && /localStorage/.test(study?.store),
    `the rating is stored (${study?.trials} trial, ${study?.store})`);
  await page.screenshot({ path: path.join(out, 'web-study.png') });
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => window.headstart?.progress?.ready && window.headstart.state()?.frames > 5,
    { timeout: 90000, polling: 100 }).catch((e) => logs.push(`[timeout] ${e.message}`));
  const reloaded = (await page.evaluate(() => window.headstart.state())).study;
  check(reloaded?.trials === 1, `after a reload the study still has its trial (${reloaded?.trials})`);

  // --- the page served elsewhere, the cloud on another origin (CORS) ---------------------------
  const statics = await serve(dist, 0);
  try {
    const other = await browser.newPage();
    other.on('console', (m) => logs.push(`[other.console.${m.type()}] ${m.text()}`));
    await other.goto(`http://127.0.0.1:${statics.address().port}/?cloud=${encodeURIComponent(cloud.url)}`, { waitUntil: 'load' });
    await other.waitForFunction(() => window.headstart?.progress?.ready, { timeout: 90000, polling: 100 })
      .catch((e) => logs.push(`[timeout] ${e.message}`));
    await other.evaluate(() => window.headstart.ask('How can I improve my sleep?'));
    const r = await watch(other, turnDoneFor('How can I improve my sleep?'), {}, 30000);
    check(turnDone(r.state) && !r.state.failure && r.state.tokens?.length > 0 && r.state.cloud_text.length > 0,
      `static files on another server + ?cloud=${cloud.url}: a whole turn across origins (CORS)`);
    await other.close();
  } finally {
    statics.close();
  }
  if (failures()) console.log(logs.join('\n'));
} finally {
  await close();
  cloud.proc.kill('SIGTERM');
}
end('web e2e');
