// web/tests/web_speech_api.mjs — the page's Web Speech API voice, ?voice=browser[:LANG] (ctest
// web.web_speech_api_in_headless_chromium): the built page in a real headless Chromium (puppeteer-core driving
// /usr/bin/chromium), a real headstart-cloud on 127.0.0.1 (reference continuator, lte profile) serving it.
//   1. the real Web Speech API of headless Chromium, which has no voices: ?speech=1&voice=browser says so in
//      the speech status ("this browser has no Web Speech voices — use an eSpeak NG voice such as en-us"),
//      window.headstart.browserVoices is [], and the turn runs on silently
//   2. a SCRIPTED STAND-IN for the browser's speechSynthesis and SpeechSynthesisUtterance, installed before the
//      page loads: headless Chromium has no speech voices, so the browser API itself is faked here (two voices;
//      each utterance "plays" 30 ms a character at rate 1 plus a 150 ms tail, firing start, a word boundary at
//      each word and end on timers, 80 ms apart; cancel() fires 'interrupted' / 'canceled' as Chromium does).
//      The page's code under test (wasm/web_speech.js, wasm/web_voice.cpp, ui/speaker.cpp) is the real one.
//      Checked: the voice and rate the page chose (?voice=browser:en-GB, 165 wpm → rate 165/180), the opener
//      sent as one utterance first, μLM then cloud words, the page's word times equal to the boundary events'
//      (the tail keeps a spread by characters from matching them), the handoff silence equal to the gap
//      between the events, the next utterance queued while one plays, and a new question cancelling the old
//      turn's speech without an error
//   node web/tests/web_speech_api.mjs --dist build/wasm/web --cloud build/native/cloud/headstart-cloud --source .
import fs from 'node:fs';
import path from 'node:path';
import { checks, cliArgs, ev, launchChromium, load, root, sleep, state, until } from '../harness.mjs';
import { startCloudProcess } from './cloud_process.mjs';

const args = cliArgs();
const dist = path.resolve(args.dist || 'build/wasm/web');
const source = path.resolve(args.source || root);
const cloudBin = path.resolve(args.cloud || path.join(root, 'build/native/cloud/headstart-cloud'));
const { check, failures, end } = checks();
if (!fs.existsSync(path.join(dist, 'index.html')))
  throw new Error(`missing ${dist}/index.html: build the wasm preset (cmake --build --preset wasm) after scripts/setup`);

// The stand-in (see the header): runs in the page before its own scripts. window.__speech logs what the page
// asked of it and when each event fired (performance.now(), the page's clock).
function installSpeechStandIn() {
  // a voice's tail after its last word, so that word times spread by characters (the page's fallback without
  // boundary events) differ from the boundaries'
  const MS_PER_CHAR = 30, TAIL_MS = 150, PAUSE_MS = 80;
  const voices = [
    { name: 'Stand-in English (US)', lang: 'en-US', default: true, localService: true, voiceURI: 'stand-in-us' },
    { name: 'Stand-in English (GB)', lang: 'en-GB', default: false, localService: true, voiceURI: 'stand-in-gb' },
  ];
  const log = window.__speech = { spoken: [], cancels: 0 };
  class Utterance extends EventTarget {
    constructor(text) {
      super();
      Object.assign(this, { text: String(text ?? ''), lang: '', voice: null, rate: 1, pitch: 1, volume: 1,
                            onstart: null, onend: null, onerror: null, onboundary: null, onpause: null,
                            onresume: null, onmark: null });
    }
  }
  const queue = [];
  let playing = null, busy = false, timers = [];  // busy: playing, or in the pause after one
  const later = (fn, ms) => timers.push(setTimeout(fn, ms));
  const fire = (u, type, extra = {}) => {
    const e = Object.assign(new Event(type), { utterance: u, charIndex: 0, charLength: 0, elapsedTime: 0, name: '' }, extra);
    u.__log.events.push({ type, t: performance.now(), ...extra });  // right before the page's handler runs
    if (typeof u['on' + type] === 'function') u['on' + type](e);
    u.dispatchEvent(e);
  };
  const next = () => {
    playing = queue.shift() || null;
    busy = !!playing;
    if (!playing) return;
    const u = playing, ms = MS_PER_CHAR / (u.rate || 1);
    fire(u, 'start');
    for (const m of u.text.matchAll(/\S+/g))
      later(() => fire(u, 'boundary', { name: 'word', charIndex: m.index, charLength: m[0].length }), m.index * ms);
    later(() => {
      fire(u, 'end');
      playing = null;
      later(next, PAUSE_MS);
    }, u.text.length * ms + TAIL_MS);
  };
  const synth = new EventTarget();
  Object.assign(synth, {
    speaking: false, pending: false, paused: false, onvoiceschanged: null,
    getVoices: () => voices.slice(),
    speak(u) {
      u.__log = { text: u.text, lang: u.lang, voice: u.voice?.name ?? null, rate: u.rate, at: performance.now(), events: [] };
      log.spoken.push(u.__log);
      queue.push(u);
      if (!busy) next();
    },
    cancel() {
      log.cancels++;
      timers.forEach(clearTimeout);
      timers = [];
      const was = playing;
      playing = null;
      busy = false;
      if (was) fire(was, 'error', { error: 'interrupted' });
      for (const u of queue.splice(0)) fire(u, 'error', { error: 'canceled' });
    },
    pause() {}, resume() {},
  });
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
  Object.defineProperty(window, 'SpeechSynthesisUtterance', { value: Utterance, configurable: true, writable: true });
}

const shownWords = (t) => (t?.events || []).filter((e) => e.kind === 'word_shown');

const cloud = await startCloudProcess(cloudBin, ['--host', '127.0.0.1', '--port', '0', '--continuator', 'reference',
  '--references', path.join(source, 'assets/reference/answers.jsonl.gz'),
  '--tokenizer', path.join(source, 'assets/models/tokenizer.json'), '--profile', 'lte', '--web', dist], 60000);
const { browser, close } = await launchChromium({ args: ['--autoplay-policy=document-user-activation-required'] });
const logs = [];
try {
  // --- 1. the real Web Speech API of headless Chromium: no voices ------------------------------------------
  {
    const page = await browser.newPage();
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    const uncaught = [];
    page.on('pageerror', (e) => uncaught.push(e.message));
    await load(page, `${cloud.url}/?speech=1&voice=browser`);
    await sleep(1600);  // the voice list counts as final 1.5 s after it was asked for
    const boot = await ev(page, () => ({ list: window.headstart.browserVoices, controls: window.headstart.state().controls,
                                         real: window.speechSynthesis ? window.speechSynthesis.getVoices().length : -1 }));
    check(boot.controls?.speak === true && boot.controls?.voice === 'browser', `?speech=1&voice=browser: speak on, voice "${boot.controls?.voice}"`);
    check(Array.isArray(boot.list) && boot.list.length === 0 && boot.real <= 0,
      `headless Chromium's Web Speech API has no voices: browserVoices ${JSON.stringify(boot.list)}`);
    await page.mouse.click(1200, 780);
    for (const [k, v] of [['profile', 'lte'], ['max_tokens', '12']])
      check(await ev(page, (a, b) => window.headstart.set(a, b), k, v) === '', `set ${k} ${v}`);
    await ev(page, () => window.headstart.ask('Why is the sky blue?'));
    const spoken = await until(page, 'spoken', 60000);
    const st = await state(page);
    console.log(`no voices: "${st.speech.status}"`);
    check(/this browser has no Web Speech voices \u2014 use an eSpeak NG voice such as en-us/.test(st.speech.status),
      'no voices: the speech status says so, and what to use instead');
    check(spoken && st.turn?.finished && shownWords(st.turn).length > 0 && st.speech.utterances.length === 0 && st.error === '',
      `no voices: the turn ran on silently (${shownWords(st.turn).length} words shown)`);
    check(uncaught.length === 0, `no voices: no uncaught page error${uncaught.length ? ': ' + uncaught.join('; ') : ''}`);
    await page.close();
  }

  // --- 2. a scripted stand-in for speechSynthesis (see the header) ------------------------------------------
  {
    const page = await browser.newPage();
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    const uncaught = [];
    page.on('pageerror', (e) => uncaught.push(e.message));
    await page.evaluateOnNewDocument(installSpeechStandIn);
    await load(page, `${cloud.url}/?speech=1&voice=browser:en-GB`);
    for (const t0 = Date.now(); Date.now() - t0 < 5000 && !(await ev(page, () => window.headstart.browserVoices?.length)); await sleep(100));
    const list = await ev(page, () => window.headstart.browserVoices);
    check(list?.length === 2 && list[1].lang === 'en-GB', `window.headstart.browserVoices lists the stand-in's: ${JSON.stringify(list)}`);
    for (const [k, v] of [['profile', 'lte'], ['max_tokens', '40'], ['speech_wpm', '165']])
      check(await ev(page, (a, b) => window.headstart.set(a, b), k, v) === '', `set ${k} ${v}`);
    await page.mouse.click(1200, 780);  // a real click: the browser lets the page speak after one
    const question = 'How can I improve my time management skills?';
    await ev(page, (q) => window.headstart.ask(q), question);
    const spoken = await until(page, 'spoken', 120000);
    const st = await state(page);
    const standIn = await ev(page, () => window.__speech);
    const s = st.speech, t = st.turn;
    check(spoken && s.status === '' && s.done && s.timed_by === 'events',
      `spoken, timed by events (timed_by "${s.timed_by}", status "${s.status}")`);
    check(!st.turn_error && t.finished && !t.cloud_failed, 'the turn completed');
    check(standIn.spoken.every((u) => u.voice === 'Stand-in English (GB)' && u.lang === 'en-GB' && Math.abs(u.rate - 165 / 180) < 1e-6),
      `every utterance in the en-GB voice at rate 165/180 (${standIn.spoken.map((u) => `${u.voice}/${u.lang}/${u.rate.toFixed(3)}`)[0]})`);
    const opener = shownWords(t).filter((e) => e.origin === 'device').map((e) => e.text);
    check(opener.length > 0 && standIn.spoken[0]?.text === opener.join(' ') && s.utterances[0]?.origin === 'device',
      `the stand-in got the opener as one utterance, first: "${standIn.spoken[0]?.text}"`);
    check(JSON.stringify(standIn.spoken.map((u) => u.text)) === JSON.stringify(s.utterances.map((u) => u.text)),
      `the stand-in was asked for the app's ${s.utterances.length} utterances, in order`);
    const shown = shownWords(t).map((e) => e.text), heard = s.words.map((w) => w.word);
    check(JSON.stringify(heard) === JSON.stringify(shown), `the ${heard.length} words heard are the ${shown.length} words shown`);
    const origins = s.words.map((w) => w.origin);
    const fc = origins.indexOf('cloud');
    check(fc > 0 && origins.slice(0, fc).every((o) => o === 'device') && origins.slice(fc).every((o) => o === 'cloud'),
      `μLM words then cloud words (${fc} then ${origins.length - fc})`);
    check(s.utterances.every((u) => u.origin === s.utterances[0].origin || u.origin === 'cloud') &&
          s.utterances.filter((u) => u.origin === 'device').length >= 1,
      'no utterance mixes the μLM\'s and the cloud\'s words');
    // the page's word times are the boundary events' (both on performance.now(); the turn's 0 apart). The stand-in
    // stamps each event right before the page's handler stamps it, ~0.1 ms apart; 10 ms leaves room for the OS
    // preempting the renderer in between on a loaded machine, far under the hundreds of ms a spread by
    // characters is off by here (279 ms with the page's boundary handler broken)
    const bounds = standIn.spoken.flatMap((u) => u.events.filter((e) => e.type === 'boundary'));
    const zero = bounds.length && s.words.length ? bounds[0].t - s.words[0].start_ms : 0;
    const offs = s.words.map((w, i) => (bounds[i] ? w.start_ms - (bounds[i].t - zero) : Infinity));
    const worst = Math.max(0, ...offs.map(Math.abs));
    console.log(`word start (app) - boundary event, ms: ${offs.map((x) => x.toFixed(1)).join(' ')}`);
    check(bounds.length === s.words.length && worst < 10 &&
          s.utterances.every((u) => u.boundaries === u.text.split(/\s+/).length),
      `each word starts at its boundary event (${bounds.length} events, worst ${worst.toFixed(2)} ms off; ` +
      `boundaries per utterance ${s.utterances.map((u) => u.boundaries).join(',')})`);
    // the silence at the handoff: the end of the utterance with the μLM's last word to the cloud's first word
    const lastDevice = s.utterances.map((u) => u.origin).lastIndexOf('device');
    const endT = standIn.spoken[lastDevice]?.events.find((e) => e.type === 'end')?.t;
    const cloudT = standIn.spoken[lastDevice + 1]?.events.find((e) => e.type === 'boundary')?.t;
    const gap = cloudT - endT;
    check(typeof s.handoff_silence_ms === 'number' && Math.abs(s.handoff_silence_ms - gap) < 10,
      `silence at the handoff ${s.handoff_silence_ms?.toFixed(1)} ms (app) = ${gap.toFixed(1)} ms between the events`);
    const ahead = standIn.spoken.slice(1).filter((u, i) => u.at < standIn.spoken[i].events.find((e) => e.type === 'end').t).length;
    check(ahead >= 1, `${ahead} of ${standIn.spoken.length - 1} utterances were queued while the one before still played`);
    console.log(`"${question}": opener "${t.opener}"; ${heard.length} words in ${s.utterances.length} utterances; ` +
      `handoff silence ${s.handoff_silence_ms?.toFixed(0)} ms (events), duration ${(s.duration_ms / 1000).toFixed(1)} s`);

    // a new question while the last answer is spoken: its speech is cancelled, the 'interrupted' error that
    // brings is not the new turn's, and the new turn is spoken
    check(await ev(page, () => window.headstart.set('max_tokens', '40')) === '', 'set max_tokens 40');
    await ev(page, () => window.headstart.ask('Why is the sky blue?'));
    for (const t0 = Date.now(); Date.now() - t0 < 60000; await sleep(50))
      if ((await state(page)).speech.words.length >= 2) break;
    const cancelsBefore = (await ev(page, () => window.__speech)).cancels;
    await ev(page, () => window.headstart.ask('What is the capital of France?'));
    const again = await until(page, 'spoken', 120000);
    const st3 = await state(page);
    const standIn3 = await ev(page, () => window.__speech);
    const opener3 = shownWords(st3.turn).filter((e) => e.origin === 'device').map((e) => e.text).join(' ');
    check(standIn3.cancels > cancelsBefore, `a new question cancelled the speech (${standIn3.cancels - cancelsBefore} cancel())`);
    check(again && st3.turn.question === 'What is the capital of France?' && st3.speech.status === '' &&
          st3.speech.words.length > 0 && st3.speech.utterances[0]?.text === opener3,
      `the new turn was spoken (${st3.speech.words.length} words, status "${st3.speech.status}")`);
    check(uncaught.length === 0, `no uncaught page error${uncaught.length ? ': ' + uncaught.join('; ') : ''}`);
    await page.close();
  }
  if (failures()) console.log(logs.slice(-60).join('\n'));
} finally {
  await close();
  cloud.proc.kill('SIGTERM');
}
end('web speech api');
