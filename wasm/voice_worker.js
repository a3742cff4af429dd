// wasm/voice_worker.js — the page's synthesizer: eSpeak NG compiled to WebAssembly (npm
// @echogarden/espeak-ng-emscripten, GPL-3.0; staged with English voice data only by wasm/trim_espeak.mjs
// into espeak/ beside the page), in a module Worker so that synthesis never blocks the page's main thread.
// wasm/web_voice.js talks to it:
//   in:  {type: 'load'}                                  start loading now (else at the first 'speak')
//        {type: 'speak', id, text, voice, wpm}           one utterance
//   out: {type: 'loaded', ok, message, sample_rate}
//        {type: 'spoken', id, ok, message, samples (Int16Array, mono), sample_rate, marks, ms}
//        marks: eSpeak's word events as [first character (1-based code point), start in the audio (ms)]
//        pairs, flattened; ms: how long the synthesis took in here
// A load that fails (no voice files, no eSpeak) answers every utterance with its readable error.
let loading = null;

function load() {
  if (loading) return loading;
  const js = new URL('espeak/espeak-ng.js', self.location.href);
  const data = new URL('espeak/espeak-ng.data', self.location.href);
  loading = (async () => {
    // The voice data is fetched here (not by the module's own loader, which only logs a failure and
    // never starts), so a missing file is an error the page can show.
    let bytes;
    try {
      const r = await fetch(data);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      bytes = await r.arrayBuffer();
    } catch (e) {
      throw new Error(`cannot load the voice files ${data.pathname} (${e.message || e})`);
    }
    let init;
    try {
      init = (await import(js.href)).default;
    } catch (e) {
      throw new Error(`cannot load eSpeak NG ${js.pathname} (${e.message || e})`);
    }
    const m = await init({
      getPreloadedPackage: () => bytes,
      print: (t) => console.log('espeak-ng: ' + t),
      printErr: (t) => console.warn('espeak-ng: ' + t),
    });
    const worker = new m.eSpeakNGWorker();
    const rate = worker.get_samplerate();
    if (!(rate > 0)) throw new Error('eSpeak NG did not start (no sample rate)');
    return { worker, rate, voice: '', wpm: 0 };
  })();
  return loading;
}

function speak(e, msg) {
  const { worker, rate } = e;
  if (msg.voice !== e.voice) {
    if (worker.set_voice(msg.voice) !== 0)
      throw new Error(`eSpeak NG has no voice "${msg.voice}" (the page has English voices: en-us, en, en-gb-x-rp, ...)`);
    e.voice = msg.voice;
  }
  if (msg.wpm !== e.wpm) {
    worker.set_rate(msg.wpm);
    e.wpm = msg.wpm;
  }
  const chunks = [], marks = [];
  let total = 0;
  const t0 = performance.now();
  worker.synthesize(msg.text, (audio, events) => {
    if (audio && audio.length) {
      chunks.push(audio);
      total += audio.length;
    }
    for (const ev of events) if (ev.type === 'word') marks.push(ev.text_position, ev.audio_position);
    return false;  // go on
  });
  const samples = new Int16Array(total);
  let at = 0;
  for (const c of chunks) {
    samples.set(c, at);
    at += c.length;
  }
  return { samples, sample_rate: rate, marks, ms: performance.now() - t0 };
}

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === 'load') {
    try {
      const e = await load();
      self.postMessage({ type: 'loaded', ok: true, message: '', sample_rate: e.rate });
    } catch (err) {
      self.postMessage({ type: 'loaded', ok: false, message: String(err.message || err), sample_rate: 0 });
    }
  } else if (msg.type === 'speak') {
    try {
      const out = speak(await load(), msg);
      self.postMessage({ type: 'spoken', id: msg.id, ok: true, message: '', ...out }, [out.samples.buffer]);
    } catch (err) {
      self.postMessage({ type: 'spoken', id: msg.id, ok: false, message: String(err.message || err),
                         samples: new Int16Array(0), sample_rate: 0, marks: [], ms: 0 });
    }
  }
};
