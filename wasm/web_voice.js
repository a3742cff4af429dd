// wasm/web_voice.js — the JavaScript half of wasm/web_voice.cpp (an Emscripten --js-library): the page's
// audio device and synthesizer. Nothing here blocks the page's main thread:
//
//   device       hs_voice_open / hs_voice_queue / hs_voice_playhead / hs_voice_clear / hs_voice_held:
//                an AudioContext at the voice's rate and an AudioWorkletNode (wasm/voice_worklet.js) that
//                plays the queued samples and posts each take {from, to, out_at}; the take's clock time
//                (performance.now(), when its first frame is heard) comes from the context's output
//                timestamp. Until the user's first click or key press the browser may keep the context
//                suspended (autoplay policy): hs_voice_held says so, and that first gesture resumes it.
//   synthesizer  hs_voice_load / hs_voice_speak -> wasm/voice_worker.js (a module Worker running eSpeak NG
//                in WebAssembly) -> _hs_on_spoken (the samples and word marks copied into the heap first)
//
// The page may set Module.onVoiceReady({ok, message, sample_rate}) to learn when the voice has loaded.

mergeInto(LibraryManager.library, {
  $HSV: {
    ctx: null,
    node: null,
    rate: 0,
    error: '',        // the device could not start: why
    early: [],        // samples queued before the worklet was up
    generation: 0,    // bumped by each clear: takes of an older generation are dropped
    taken: 0,
    takes: [],        // the latest takes, oldest first: [from, to, out_at, clock_ms]
    gestureHooked: false,
    synth: null,      // the voice worker
    speaking: {},     // ids sent and not answered yet
    cString: function(text) {
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      return ptr;
    },
    onTake: function(t) {
      if (t.generation !== HSV.generation || !HSV.ctx) return;
      // When frame out_at is heard, on performance.now()'s clock: the output timestamp pairs the
      // context's clock with the performance clock for what is at the output now.
      var ts = HSV.ctx.getOutputTimestamp ? HSV.ctx.getOutputTimestamp() : null;
      var clock = ts && ts.performanceTime > 0
        ? ts.performanceTime + (t.out_at / HSV.rate - ts.contextTime) * 1000
        : performance.now() + (t.out_at / HSV.rate - HSV.ctx.currentTime) * 1000 + 1000 * (HSV.ctx.outputLatency || 0);
      HSV.takes.push([t.from, t.to, t.out_at, clock]);
      if (HSV.takes.length > 64) HSV.takes.shift();
      HSV.taken = t.to;
    },
    startWorklet: function(ctx) {
      var url = new URL(Module.headstartVoiceWorklet || 'voice_worklet.js', document.baseURI).href;
      ctx.audioWorklet.addModule(url).then(function() {
        if (HSV.ctx !== ctx) return;
        var node = new AudioWorkletNode(ctx, 'headstart-voice',
                                        { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
        node.port.onmessage = function(e) { HSV.onTake(e.data); };
        node.port.postMessage({ clear: HSV.generation });
        node.connect(ctx.destination);
        HSV.node = node;
        HSV.early.forEach(function(s) { node.port.postMessage({ samples: s }, [s.buffer]); });
        HSV.early = [];
      }).catch(function(e) {
        HSV.error = 'the audio worklet did not start (' + url + '): ' + (e && e.message || e);
        console.error('headstart: ' + HSV.error);
      });
    },
    // The first real click, tap or key press lets the page play sound (the browser's autoplay policy).
    hookGesture: function() {
      if (HSV.gestureHooked) return;
      HSV.gestureHooked = true;
      var resume = function() {
        if (HSV.ctx && HSV.ctx.state === 'suspended') HSV.ctx.resume();
      };
      ['pointerdown', 'mousedown', 'keydown', 'touchend'].forEach(function(type) {
        window.addEventListener(type, resume, true);
      });
    },
    worker: function() {
      if (HSV.synth) return HSV.synth;
      var url = new URL(Module.headstartVoiceWorker || 'voice_worker.js', document.baseURI).href;
      var w = new Worker(url, { type: 'module' });
      HSV.synth = w;
      w.onmessage = function(e) { HSV.onSynth(e.data); };
      w.onerror = function(e) {
        // The worker could not start (or died): every utterance still waiting gets the error.
        var why = 'the voice worker failed: ' + (e.message || 'it could not be started (' + url + ')');
        console.error('headstart: ' + why);
        w.terminate();
        HSV.synth = null;
        if (Module.onVoiceReady) Module.onVoiceReady({ ok: false, message: why, sample_rate: 0 });
        Object.keys(HSV.speaking).forEach(function(id) {
          HSV.onSynth({ type: 'spoken', id: Number(id), ok: false, message: why, samples: new Int16Array(0),
                        sample_rate: 0, marks: [] });
        });
      };
      w.postMessage({ type: 'load' });
      return w;
    },
    onSynth: function(msg) {
      if (msg.type === 'loaded') {
        if (!msg.ok) console.warn('headstart: ' + msg.message);
        if (Module.onVoiceReady) Module.onVoiceReady(msg);
        return;
      }
      if (msg.type !== 'spoken' || !HSV.speaking[msg.id]) return;
      delete HSV.speaking[msg.id];
      var n = msg.samples ? msg.samples.length : 0;
      var samples = _malloc(Math.max(2, 2 * n));
      if (n) HEAP16.set(msg.samples, samples >> 1);  // the view as of now (memory may have grown)
      var marks = msg.marks || [];
      var marksPtr = _malloc(Math.max(8, 8 * marks.length));
      HEAPF64.set(marks, marksPtr >> 3);
      var err = HSV.cString(msg.message || '');
      _hs_on_spoken(msg.id, msg.ok ? 1 : 0, samples, n, msg.sample_rate || 0, marksPtr, marks.length, err);
      _free(samples); _free(marksPtr); _free(err);
    },
  },

  hs_voice_open__deps: ['$HSV'],
  // Opens (or reopens at another rate) the page's audio output; 0 or a fresh C string saying why not.
  hs_voice_open: function(rate) {
    if (HSV.ctx && HSV.rate === rate && !HSV.error) return 0;
    if (HSV.ctx) HSV.ctx.close();
    HSV.ctx = null; HSV.node = null; HSV.error = ''; HSV.early = []; HSV.takes = []; HSV.taken = 0;
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return HSV.cString('this browser has no Web Audio');
    var ctx;
    try {
      ctx = new AC({ sampleRate: rate, latencyHint: 'interactive' });
    } catch (e) {
      return HSV.cString('Web Audio would not open at ' + rate + ' Hz (' + (e && e.message || e) + ')');
    }
    if (!ctx.audioWorklet) {
      ctx.close();
      return HSV.cString('no AudioWorklet (the page must come from https:// or localhost)');
    }
    HSV.ctx = ctx;
    HSV.rate = rate;
    HSV.hookGesture();
    HSV.startWorklet(ctx);
    return 0;
  },

  hs_voice_queue__deps: ['$HSV'],
  hs_voice_queue: function(ptr, count) {
    var s = new Float32Array(count);
    var src = HEAP16.subarray(ptr >> 1, (ptr >> 1) + count);
    for (var i = 0; i < count; ++i) s[i] = src[i] / 32768;
    if (HSV.node) HSV.node.port.postMessage({ samples: s }, [s.buffer]);
    else HSV.early.push(s);
  },

  hs_voice_playhead__deps: ['$HSV'],
  // out[0] = samples taken; then up to `capacity` takes as (from, to, out_at, clock_ms); returns their count.
  hs_voice_playhead: function(out, capacity) {
    var base = out >> 3;
    HEAPF64[base] = HSV.taken;
    var takes = HSV.takes.slice(Math.max(0, HSV.takes.length - capacity));
    for (var i = 0; i < takes.length; ++i)
      for (var k = 0; k < 4; ++k) HEAPF64[base + 1 + 4 * i + k] = takes[i][k];
    return takes.length;
  },

  hs_voice_clear__deps: ['$HSV'],
  hs_voice_clear: function() {
    HSV.generation++;
    HSV.taken = 0;
    HSV.takes = [];
    HSV.early = [];
    if (HSV.node) HSV.node.port.postMessage({ clear: HSV.generation });
  },

  hs_voice_held__deps: ['$HSV'],
  // Why nothing can be heard now (a fresh C string), or 0 when the audio plays.
  hs_voice_held: function() {
    if (HSV.error) return HSV.cString('speech: ' + HSV.error);
    if (HSV.ctx && HSV.ctx.state === 'suspended') return HSV.cString('click the page to hear it\u2026');
    return 0;
  },

  hs_voice_load__deps: ['$HSV'],
  hs_voice_load: function() { HSV.worker(); },

  hs_voice_speak__deps: ['$HSV'],
  hs_voice_speak: function(id, textPtr, voicePtr, wpm) {
    HSV.speaking = {};  // only the last utterance sent is wanted
    HSV.speaking[id] = true;
    HSV.worker().postMessage({ type: 'speak', id: id, text: UTF8ToString(textPtr), voice: UTF8ToString(voicePtr),
                               wpm: wpm });
  },
});
