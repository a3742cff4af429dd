// wasm/web_speech.js — the page's Web Speech API voice (an Emscripten --js-library): the JavaScript half of
// wasm/web_voice.cpp's WebSpeechVoice, ui/speaker.h's SelfPlayingVoice for the voice names "browser" (the
// browser's voice for the page's language) and "browser:LANG" (its first voice whose lang is LANG, e.g.
// browser:en-GB). The browser plays the sound itself: no samples reach the app, so words are timed by the
// utterances' events (performance.now() when each handler ran: the clock the page's turns run on; a frame
// being drawn on the main thread delays a handler by as much). Nothing blocks.
//
//   hs_speech_load()            asks for the browser's voices (Chromium lists them later, with 'voiceschanged';
//                               a browser with none never says so: after 1.5 s the list counts as final);
//                               Module.onBrowserVoices([{name, lang, default, local}]) hears of each list
//   hs_speech_open(lang, wpm)   0, or why this browser cannot speak (a fresh C string)
//   hs_speech_speak(id, text)   one SpeechSynthesisUtterance, queued behind what plays
//   hs_speech_cancel()          speechSynthesis.cancel(); no event of what it cancelled is reported
//   hs_speech_drain()           the events since the last call (a fresh C string, or 0 when none):
//                               JSON [[id, kind, byte, clock_ms, message], ...], kind 0 start, 1 word (byte:
//                               its first byte in the UTF-8 text, from the boundary's charIndex), 2 end, 3 error
//   hs_speech_held()            "click the page to hear it…" until the user's first click or key press
//                               (browsers refuse speechSynthesis.speak() before it); what is spoken meanwhile
//                               waits and plays after that gesture
//
// Rate: SpeechSynthesisUtterance.rate 1 is the voice's normal pace, about 180 words a minute for the common
// browser voices, so rate = words per minute / 180 (the default 165 wpm → 0.92), clamped to 0.1..10; the
// actual pace is the voice's.

mergeInto(LibraryManager.library, {
  $HSS: {
    NO_VOICES: 'this browser has no Web Speech voices \u2014 use an eSpeak NG voice such as en-us',
    loaded: false,
    settled: false,   // the voice list is final (it came, or 1.5 s passed without it)
    voices: [],
    lang: '',         // "" = the page's language
    rate: 1,
    generation: 0,    // bumped by cancel(): events of older utterances are dropped
    events: [],
    live: [],         // the utterances queued and playing (Chromium drops the events of collected ones)
    waiting: [],      // [id, text] spoken before the voice list was final or before the first gesture
    gestureHooked: false,
    cString: function(text) {
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      return ptr;
    },
    synth: function() { return typeof window !== 'undefined' && window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null; },
    active: function() { return !navigator.userActivation || navigator.userActivation.hasBeenActive; },
    norm: function(lang) { return String(lang || '').toLowerCase().replace(/_/g, '-'); },
    refresh: function() {
      var s = HSS.synth();
      if (!s) return;
      var list = s.getVoices() || [];
      if (list.length) HSS.settled = true;
      HSS.voices = Array.prototype.slice.call(list);
      if (Module.onBrowserVoices)
        Module.onBrowserVoices(HSS.voices.map(function(v) {
          return { name: v.name, lang: v.lang, default: !!v['default'], local: !!v.localService };
        }));
      if (HSS.settled) HSS.flush();
    },
    load: function() {
      if (HSS.loaded) return;
      HSS.loaded = true;
      var s = HSS.synth();
      if (!s) { HSS.settled = true; if (Module.onBrowserVoices) Module.onBrowserVoices([]); return; }
      if (s.addEventListener) s.addEventListener('voiceschanged', function() { HSS.settled = true; HSS.refresh(); });
      HSS.refresh();
      setTimeout(function() { HSS.settled = true; HSS.refresh(); HSS.flush(); }, 1500);
    },
    // The voice for HSS.lang: "" = the page's language (the default voice if it speaks it, else the first that
    // does, else the default); else the first whose lang is LANG, else the first of its language (en → en-US).
    pick: function() {
      var vs = HSS.voices;
      if (!vs.length) return null;
      var primary = function(l) { return HSS.norm(l).split('-')[0]; };
      if (!HSS.lang) {
        var page = (document.documentElement && document.documentElement.lang) || navigator.language || 'en';
        var def = vs.find(function(v) { return v['default']; });
        return (def && primary(def.lang) === primary(page) ? def : null) ||
               vs.find(function(v) { return primary(v.lang) === primary(page); }) || def || vs[0];
      }
      var want = HSS.norm(HSS.lang);
      return vs.find(function(v) { return HSS.norm(v.lang) === want; }) ||
             (want.indexOf('-') < 0 ? vs.find(function(v) { return primary(v.lang) === want; }) : null) || null;
    },
    // Why it cannot speak (or ''), once the voice list is final.
    problem: function() {
      if (!HSS.synth()) return 'this browser has no Web Speech voices (no speechSynthesis) \u2014 use an eSpeak NG voice such as en-us';
      if (!HSS.settled) return '';
      if (!HSS.voices.length) return HSS.NO_VOICES;
      if (HSS.lang && !HSS.pick())
        return 'this browser has no Web Speech voice for ' + HSS.lang + ' (it has ' +
               HSS.voices.map(function(v) { return v.lang; }).filter(function(l, i, a) { return a.indexOf(l) === i; }).join(', ') + ')';
      return '';
    },
    push: function(gen, id, kind, index, message) {
      if (gen === HSS.generation) HSS.events.push([id, kind, index, performance.now(), message || '']);
    },
    flush: function() {
      if (!HSS.settled || !HSS.active()) return;
      var w = HSS.waiting;
      HSS.waiting = [];
      w.forEach(function(x) { HSS.play(x[0], x[1]); });
    },
    play: function(id, text) {
      var gen = HSS.generation;
      var why = HSS.problem();
      if (why) return HSS.push(gen, id, 3, 0, why);
      var u = new SpeechSynthesisUtterance(text);
      var v = HSS.pick();
      if (v) { u.voice = v; u.lang = v.lang; }
      u.rate = HSS.rate;
      var done = function() { var i = HSS.live.indexOf(u); if (i >= 0) HSS.live.splice(i, 1); };
      u.onstart = function() { HSS.push(gen, id, 0, 0); };
      u.onboundary = function(e) {
        if (e.name && e.name !== 'word') return;  // 'sentence' boundaries are not words
        HSS.push(gen, id, 1, lengthBytesUTF8(text.slice(0, Math.max(0, e.charIndex | 0))));
      };
      u.onend = function() { done(); HSS.push(gen, id, 2, 0); };
      u.onerror = function(e) {
        done();
        HSS.push(gen, id, 3, 0, 'the browser\u2019s voice failed (' + (e && e.error || 'error') + ')');
      };
      HSS.live.push(u);
      HSS.synth().speak(u);
    },
    hookGesture: function() {
      if (HSS.gestureHooked) return;
      HSS.gestureHooked = true;
      ['pointerdown', 'mousedown', 'keydown', 'touchend'].forEach(function(type) {
        window.addEventListener(type, function() { setTimeout(HSS.flush, 0); }, true);
      });
    },
  },

  hs_speech_load__deps: ['$HSS'],
  hs_speech_load: function() { HSS.load(); },

  hs_speech_open__deps: ['$HSS'],
  hs_speech_open: function(langPtr, wpm) {
    HSS.load();
    HSS.lang = UTF8ToString(langPtr);
    HSS.rate = Math.max(0.1, Math.min(10, wpm / 180));
    HSS.hookGesture();
    var why = HSS.problem();
    return why ? HSS.cString(why) : 0;
  },

  hs_speech_speak__deps: ['$HSS'],
  hs_speech_speak: function(id, textPtr) {
    var text = UTF8ToString(textPtr);
    if (!HSS.settled || !HSS.active()) HSS.waiting.push([id, text]);
    else HSS.play(id, text);
  },

  hs_speech_cancel__deps: ['$HSS'],
  hs_speech_cancel: function() {
    HSS.generation++;
    HSS.events = [];
    HSS.waiting = [];
    HSS.live = [];
    var s = HSS.synth();
    if (s) s.cancel();
  },

  hs_speech_drain__deps: ['$HSS'],
  hs_speech_drain: function() {
    if (!HSS.events.length) return 0;
    var json = JSON.stringify(HSS.events);
    HSS.events = [];
    return HSS.cString(json);
  },

  hs_speech_held__deps: ['$HSS'],
  hs_speech_held: function() {
    return HSS.waiting.length && HSS.settled && !HSS.active() ? HSS.cString('click the page to hear it\u2026') : 0;
  },
});
