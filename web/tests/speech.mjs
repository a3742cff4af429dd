// web/tests/speech.mjs — the page speaks the answer (ctest web.speech_in_headless_chromium): the built page in a
// real headless Chromium (puppeteer-core driving /usr/bin/chromium) with ?speech=1, eSpeak NG compiled to
// WebAssembly in its Worker, Web Audio, and a real headstart-cloud on 127.0.0.1 (reference continuator, lte
// profile) serving the page. A tap on the Web Audio graph (an AudioWorklet this test hangs behind every node
// that connects to the speakers) records what Chromium actually rendered, frame by frame, so:
//   1. click to hear: Chromium runs with desktop Chrome's autoplay policy for Web Audio (sound once the user has
//      interacted with the page); a turn asked before any click is held ("click the page to hear it…", nothing rendered), and one real click plays it
//   2. a whole lte turn: every utterance the app queued is in the rendered audio, in order, at the frame the
//      app says it played (its device_at), its words are the words the turn showed, the gaps between
//      utterances agree within a millisecond, and the silence at the handoff measured in the rendered audio
//      is the app's figure (±5 ms) and ≤ 300 ms
//   3. the voice files missing (the page served without espeak/espeak-ng.data): a readable error in the
//      speech status, and the turn runs on silently
//   node web/tests/speech.mjs --dist build/wasm/web --cloud build/native/cloud/headstart-cloud --source . \
//        --out build/wasm/screenshots/speech
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '../serve.mjs';
import { checks, cliArgs, ev, launchChromium, load, root, sleep, state, until } from '../harness.mjs';
import { startCloudProcess } from './cloud_process.mjs';

const args = cliArgs();
const dist = path.resolve(args.dist || 'build/wasm/web');
const source = path.resolve(args.source || root);
const out = path.resolve(args.out || 'build/wasm/screenshots/speech');
const cloudBin = path.resolve(args.cloud || path.join(root, 'build/native/cloud/headstart-cloud'));
const { check, failures, end } = checks();

for (const f of [path.join(dist, 'index.html'), path.join(dist, 'espeak/espeak-ng.data'), path.join(dist, 'voice_worker.js')])
  if (!fs.existsSync(f)) throw new Error(`missing ${f}: build the wasm preset (cmake --build --preset wasm) after scripts/setup`);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

// The tap: every AudioWorkletNode that connects to a context's speakers is also connected to a recorder
// worklet, which posts what it was given with the context frame each block was rendered at.
function installTap() {
  const TAP = `registerProcessor('headstart-test-tap', class extends AudioWorkletProcessor {
    constructor() { super(); this.buf = new Float32Array(8192); this.n = 0; this.start = -1; }
    flush() {
      if (this.n) this.port.postMessage({ frame: this.start, samples: this.buf.slice(0, this.n) });
      this.n = 0; this.start = -1;
    }
    process(inputs) {
      const x = inputs[0] && inputs[0][0];
      if (!x) return true;
      if (this.start >= 0 && currentFrame !== this.start + this.n) this.flush();
      if (this.start < 0) this.start = currentFrame;
      this.buf.set(x, this.n);
      this.n += x.length;
      if (this.n + 128 > this.buf.length) this.flush();
      return true;
    }
  });`;
  window.__tap = { chunks: [], nodes: 0 };
  const tapUrl = URL.createObjectURL(new Blob([TAP], { type: 'text/javascript' }));
  const addModule = AudioWorklet.prototype.addModule;
  AudioWorklet.prototype.addModule = function (url, options) {
    return Promise.all([addModule.call(this, url, options), addModule.call(this, tapUrl)]).then(() => undefined);
  };
  const connect = AudioNode.prototype.connect;
  AudioNode.prototype.connect = function (dest, ...rest) {
    const r = connect.call(this, dest, ...rest);
    if (dest instanceof AudioDestinationNode && this instanceof AudioWorkletNode && !this.__tapped) {
      this.__tapped = true;
      const tap = new AudioWorkletNode(this.context, 'headstart-test-tap',
                                       { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
      tap.port.onmessage = (e) => window.__tap.chunks.push(e.data);
      connect.call(this, tap);
      connect.call(tap, dest);  // pulled by the speakers; it outputs silence
      window.__tap.nodes++;
    }
    return r;
  };
}

// What the tap recorded, as 16-bit samples from context frame `first` on (gaps: silence).
async function recorded(page) {
  const r = await ev(page, () => {
    const c = window.__tap.chunks;
    if (!c.length) return null;
    const first = c[0].frame, last = c.at(-1);
    const pcm = new Int16Array(last.frame + last.samples.length - first);
    for (const ch of c)
      for (let i = 0; i < ch.samples.length; i++)
        pcm[ch.frame - first + i] = Math.max(-32768, Math.min(32767, Math.round(ch.samples[i] * 32768)));
    const bytes = new Uint8Array(pcm.buffer);
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return { first, b64: btoa(s) };
  });
  if (!r) return null;
  const buf = Buffer.from(r.b64, 'base64');
  return { first: r.first, pcm: new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2) };
}

// Where `needle` (an utterance's fingerprint) starts in pcm at or after `from`; -1 if nowhere.
function find(pcm, needle, from) {
  outer: for (let i = from; i + needle.length <= pcm.length; i++) {
    for (let k = 0; k < needle.length; k++) if (pcm[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

const shownWords = (t) => (t?.events || []).filter((e) => e.kind === 'word_shown').map((e) => e.text);
// The opener is one utterance: every μLM word shown, in the first utterance, nothing else in it (the voice's
// clock once ran a frame behind the turn's, and "Quantum" was heard alone, then "computing is a type").
const openerWhole = (st) => {
  const opener = (st.turn?.events || []).filter((e) => e.kind === 'word_shown' && e.origin === 'device').map((e) => e.text);
  const first = st.speech?.utterances?.[0];
  return { ok: opener.length > 0 && first?.origin === 'device' && JSON.stringify(first.text.split(/\s+/)) === JSON.stringify(opener),
           what: `the opener "${opener.join(' ')}" is one utterance (the first: "${first?.text}")` };
};

const cloud = await startCloudProcess(cloudBin, ['--host', '127.0.0.1', '--port', '0', '--continuator', 'reference',
  '--references', path.join(source, 'assets/reference/answers.jsonl.gz'),
  '--tokenizer', path.join(source, 'assets/models/tokenizer.json'), '--profile', 'lte', '--web', dist], 60000);
const { browser, close } = await launchChromium({ args: ['--autoplay-policy=document-user-activation-required'] });
const logs = [];
const staged = [];
try {
  const page = await browser.newPage();
  page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
  const uncaught = [];
  page.on('pageerror', (e) => uncaught.push(e.message));
  await page.evaluateOnNewDocument(installTap);
  await load(page, `${cloud.url}/?speech=1`);
  for (const t0 = Date.now(); Date.now() - t0 < 30000 && !(await ev(page, () => !!window.headstart.voice)); await sleep(100));
  const boot = await ev(page, () => ({ voice: window.headstart.voice, controls: window.headstart.state().controls,
                                       voices: window.speechSynthesis ? window.speechSynthesis.getVoices().length : -1 }));
  check(boot.voice?.ok === true && boot.voice.sample_rate === 22050,
    `eSpeak NG (WebAssembly) loaded in its worker: ${JSON.stringify(boot.voice)}`);
  check(boot.controls?.speak === true, '?speech=1 turns "speak aloud" on');
  console.log(`(the Web Speech API here has ${boot.voices} voices)`);
  for (const [k, v] of [['profile', 'lte'], ['max_tokens', '40'], ['voice', 'en-us'], ['speech_wpm', '165']])
    check(await ev(page, (a, b) => window.headstart.set(a, b), k, v) === '', `set ${k} ${v}`);

  // --- 1. before any click the browser holds the sound ---------------------------------------------------
  const q1 = 'What is the capital of France?';
  await ev(page, (q) => window.headstart.ask(q), q1);
  let held = null;
  for (const t0 = Date.now(); Date.now() - t0 < 30000; await sleep(100)) {
    held = await state(page);
    if (held.turn?.question === q1 && held.speech?.utterances?.length > 0) break;
  }
  await sleep(1500);
  held = await state(page);
  const heldRecording = await recorded(page);
  check(/click the page to hear it/.test(held.speech?.status) && held.speech.utterances.length >= 1 &&
        held.speech.utterances.every((u) => u.started_ms === null) && held.speech.words.length === 0,
    `before a click: "${held.speech?.status}", ${held.speech?.utterances?.length} utterance(s) waiting, none heard`);
  check(!heldRecording || heldRecording.pcm.every((x) => x === 0), 'nothing was rendered before the click');
  const clickedAt = (await state(page)).speech.utterances[0].queued_ms;
  await sleep(500);
  await page.mouse.click(1200, 780);  // a real click (CDP input) on an empty part of the canvas
  const unlocked = await until(page, 'spoken', 90000);
  const afterClick = await state(page);
  check(unlocked && afterClick.speech.status === '' && afterClick.speech.done && afterClick.speech.words.length > 0,
    `after one click it plays: ${afterClick.speech.words.length} words heard, status "${afterClick.speech.status}"`);
  check(afterClick.speech.utterances[0].started_ms >= clickedAt + 2000,
    `the opener was heard only after the click (queued at ${clickedAt.toFixed(0)} ms, heard from ${afterClick.speech.utterances[0].started_ms?.toFixed(0)} ms)`);
  { const o = openerWhole(afterClick); check(o.ok, o.what); }

  // --- 2. a whole lte turn, read back from the rendered audio ---------------------------------------------
  const question = 'How can I improve my time management skills?';
  const before = await recorded(page);  // the first turn's audio: this turn's is searched for after it
  await ev(page, (q) => window.headstart.view('watch') || window.headstart.ask(q), question);
  for (const t0 = Date.now(); Date.now() - t0 < 10000; await sleep(50))
    if ((await state(page)).turn?.question === question) break;
  await sleep(300);
  check(await until(page, 'cloud_token', 60000), 'the cloud answered');
  await sleep(2500);
  await page.screenshot({ path: path.join(out, 'web-watch.png') });
  const spoken = await until(page, 'spoken', 120000);
  const st = await state(page);
  fs.writeFileSync(path.join(out, 'speech.json'), JSON.stringify(st, null, 2));
  const s = st.speech, t = st.turn;
  check(spoken && s.status === '' && s.active && s.done, `spoken without error (status "${s.status}")`);
  check(!st.turn_error && t.finished && !t.cloud_failed, 'the turn completed');
  { const o = openerWhole(st); check(o.ok, o.what); }
  const shown = shownWords(t), heard = s.words.map((w) => w.word);
  check(JSON.stringify(heard) === JSON.stringify(shown), `the ${heard.length} words heard are the ${shown.length} words shown`);
  const rec = await recorded(page);
  check(rec !== null, `the tap recorded what Chromium rendered (${rec ? (rec.pcm.length / 22050).toFixed(1) : 0} s)`);
  const rate = s.sample_rate;
  const starts = [];
  let pos = before ? before.pcm.length : 0, placed = true;
  for (const u of s.utterances) {
    const at = rec ? find(rec.pcm, Int16Array.from(u.fingerprint), pos) : -1;
    if (!check(at >= 0, `utterance "${u.text.slice(0, 40)}" is in the rendered audio`)) { placed = false; break; }
    const frame = rec.first + at - u.sound_at;
    starts.push(frame);
    check(frame === u.device_at, `  rendered from frame ${frame}, where the app says it played (${u.device_at})`);
    pos = at + u.samples - u.sound_at;
  }
  const n = s.utterances.length;
  check(n >= 2 && s.utterances.some((u) => u.origin === 'cloud'), `${n} utterances, the cloud's among them`);
  check(JSON.stringify(s.utterances.map((u) => u.text).join(' ').split(/\s+/)) === JSON.stringify(shown),
    'the rendered utterances say the words shown, in order');
  if (placed) {
    for (let i = 1; i < n; i++) {
      const appGap = s.utterances[i].started_ms - s.utterances[0].started_ms;
      const fileGap = (1000 * (starts[i] - starts[0])) / rate;
      check(Math.abs(appGap - fileGap) < 1, `utterance ${i}: at +${appGap.toFixed(0)} ms (app) / +${fileGap.toFixed(0)} ms (rendered)`);
    }
    // the silence at the handoff in the rendered audio: from the start of the μLM's last word to the end of
    // the cloud's first (core/speech.h), located by the utterances found above
    const flat = [];
    s.utterances.forEach((u, i) => {
      const offs = u.word_offset_ms, words = u.text.split(/\s+/);
      words.forEach((w, k) => {
        const a = starts[i] + Math.round((Math.min(offs[k], (1000 * u.samples) / rate) * rate) / 1000);
        const b = starts[i] + (k + 1 < offs.length ? Math.round((offs[k + 1] * rate) / 1000) : u.samples);
        flat.push({ w, origin: u.origin, a, b: Math.max(a, b) });
      });
    });
    const fc = flat.findIndex((f) => f.origin === 'cloud');
    check(fc > 0, `${fc} μLM words before the cloud's`);
    let run = 0, best = 0;
    for (let i = flat[fc - 1].a - rec.first; i < flat[fc].b - rec.first; i++) {
      run = Math.abs(rec.pcm[i]) <= 0.01 * 32768 ? run + 1 : 0;
      best = Math.max(best, run);
    }
    const played = (1000 * best) / rate, app = s.handoff_silence_ms;
    check(Math.abs(played - app) < 5, `silence at the handoff: ${played.toFixed(0)} ms rendered, ${app?.toFixed(0)} ms reported by the app`);
    check(played <= 300, `silence at the handoff ${played.toFixed(0)} ms <= 300 ms (lte)`);
    const handoff = t.handoff.t_ms, first = s.words[0].start_ms;
    const summary = `"${question}": opener "${t.opener}" fixed at ${handoff.toFixed(0)} ms, heard from ${first.toFixed(0)} ms; ` +
      `cloud TTFT ${t.metrics.cloud_ttft_ms.toFixed(0)} ms; path ${t.path}; ${heard.length} words in ${n} utterances, ` +
      `${(s.duration_ms / 1000).toFixed(1)} s; silence at the handoff ${played.toFixed(0)} ms rendered / ${app.toFixed(0)} ms app`;
    fs.writeFileSync(path.join(out, 'summary.txt'), summary + '\n');
    console.log(summary);
  }
  check(uncaught.length === 0, `no uncaught page error${uncaught.length ? ': ' + uncaught.join('; ') : ''}`);
  await page.close();

  // --- 3. the voice files missing: a readable error, the turn runs on silently ----------------------------
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'headstart-no-voice-'));
  staged.push(d);
  for (const entry of fs.readdirSync(dist))
    if (entry !== 'espeak') fs.symlinkSync(path.join(dist, entry), path.join(d, entry));
  fs.mkdirSync(path.join(d, 'espeak'));
  fs.symlinkSync(path.join(dist, 'espeak/espeak-ng.js'), path.join(d, 'espeak/espeak-ng.js'));  // no espeak-ng.data
  const statics = await serve(d, 0);
  try {
    const p2 = await browser.newPage();
    const uncaught2 = [];
    p2.on('pageerror', (e) => uncaught2.push(e.message));
    await load(p2, `http://127.0.0.1:${statics.address().port}/?speech=1&cloud=${encodeURIComponent(cloud.url)}`);
    await p2.mouse.click(1200, 780);
    await ev(p2, () => window.headstart.set('max_tokens', '12'));
    await ev(p2, () => window.headstart.ask('Why is the sky blue?'));
    const quiet = await until(p2, 'spoken', 60000);
    const q = await state(p2);
    const voice = await ev(p2, () => window.headstart.voice);
    console.log(`no voice files: "${q.speech.status}"`);
    check(/cannot load the voice files .*espeak-ng\.data.*404/.test(q.speech.status) && voice?.ok === false,
      'no voice files: the speech status says which file is missing');
    check(quiet && q.turn.finished && shownWords(q.turn).length > 0 && q.speech.utterances.length === 0 && q.error === '',
      'no voice files: the turn ran on silently, its words shown');
    check(uncaught2.length === 0, `no voice files: no uncaught page error${uncaught2.length ? ': ' + uncaught2.join('; ') : ''}`);
    await p2.close();
  } finally {
    statics.close();
  }
  if (failures()) console.log(logs.slice(-60).join('\n'));
} finally {
  await close();
  cloud.proc.kill('SIGTERM');
  for (const d of staged) fs.rmSync(d, { recursive: true, force: true });
}
end('web speech');
