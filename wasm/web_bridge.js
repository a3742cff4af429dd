// wasm/web_bridge.js — the JavaScript half of the web build (an Emscripten --js-library): the
// functions C++ calls (declared in wasm/web_bridge.cpp and wasm/web_study_store.cpp) and the
// callbacks it gets back, without ASYNCIFY. Every call returns at once; an answer arrives later,
// on the main thread, through an exported C function:
//
//   μLM     hs_model_load / hs_model_run / hs_model_release  ->  wasm/ort_worker.js (a Worker that
//           owns onnxruntime-web, the sessions and their KV caches)  ->  _hs_on_model_loaded,
//           _hs_on_logits (the logits are written into a C++-owned buffer first)
//   cloud   hs_fetch_start / hs_fetch_abort  ->  fetch() with a streamed body  ->  _hs_on_fetch_status,
//           _hs_on_fetch_bytes (each chunk), _hs_on_fetch_end (the outcome, as core/transport.h's
//           TransportFailure: 0 none, 1 unreachable, 2 timeout, 3 http status, 4 cut mid-stream,
//           5 cancelled)
//   page    hs_page_info (Module.headstartConfig as JSON), hs_page_file (bytes the page fetched
//           before the app started: the fonts), hs_bench_report
//   study   hs_storage_read / hs_storage_append (localStorage), hs_download (a file for the user)
//
// Memory may grow while a promise is pending, so the heap views (HEAPU8, HEAPF32) are read only
// at the moment bytes are copied, never kept across an await.
//
// The page may set Module.onLoadProgress({slot, stage, loaded, total}) and
// Module.onModelReady({slot, ok, message, info}) to draw its progress bar.

mergeInto(LibraryManager.library, {
  $HS: {
    worker: null,
    fetches: {},  // id -> {controller, reason}
    workerUrl: function() {
      return new URL(Module.headstartWorker || 'ort_worker.js', document.baseURI).href;
    },
    start: function() {
      if (HS.worker) return HS.worker;
      HS.worker = new Worker(HS.workerUrl());
      HS.worker.onmessage = function(e) { HS.onMessage(e.data); };
      HS.worker.onerror = function(e) {
        // The worker could not start (or died): every load and run still waiting gets an error,
        // so the page and the turn go on (cloud only) instead of waiting forever.
        var why = 'the μLM worker failed: ' + (e.message || 'it could not be started (' + HS.workerUrl() + ')');
        console.error('headstart: ' + why);
        HS.worker.terminate();
        HS.worker = null;  // the next load starts a fresh one
        Object.keys(HS.loading).forEach(function(slot) {
          HS.onMessage({ type: 'loaded', slot: Number(slot), ok: false, message: why, info: null, tokenizer: '' });
        });
        Object.keys(HS.logitsPtr).forEach(function(key) {
          var p = key.split(':');
          HS.onMessage({ type: 'logits', slot: Number(p[0]), id: Number(p[1]), ok: false, message: why });
        });
      };
      return HS.worker;
    },
    // Copies a JS string into a fresh C string (the caller frees it).
    cString: function(text) {
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      return ptr;
    },
    logitsPtr: {},  // "slot:id" -> the C++ buffer to write that run's logits into
    loading: {},    // slot -> true while its load is pending
    onMessage: function(msg) {
      if (msg.type === 'progress') {
        if (Module.onLoadProgress) Module.onLoadProgress(msg);
      } else if (msg.type === 'loaded') {
        if (!HS.loading[msg.slot]) return;  // released meanwhile, or already answered
        delete HS.loading[msg.slot];
        var info = HS.cString(JSON.stringify(msg.info || {}));
        var tok = HS.cString(msg.tokenizer || '');
        var err = HS.cString(msg.message || '');
        // The worker loaded the session; the C++ side still checks the rest (tokenizer.json): its verdict is
        // what the page shows.
        var why = UTF8ToString(_hs_on_model_loaded(msg.slot, msg.ok ? 1 : 0, info, tok, err));
        _free(info); _free(tok); _free(err);
        if (Module.onModelReady)
          Module.onModelReady({ type: msg.type, slot: msg.slot, ok: !why, message: why, info: msg.info });
      } else if (msg.type === 'logits') {
        var key = msg.slot + ':' + msg.id;
        var dest = HS.logitsPtr[key];
        delete HS.logitsPtr[key];
        var ok = msg.ok && dest;
        var count = 0;
        if (ok) {
          count = Math.min(msg.logits.length, dest.capacity);
          HEAPF32.set(msg.logits.subarray(0, count), dest.ptr >> 2);  // the view as of now
        }
        var err2 = HS.cString(msg.message || '');
        _hs_on_logits(msg.slot, msg.id, ok ? 1 : 0, msg.logits ? msg.logits.length : 0, msg.run_ms || 0, err2);
        _free(err2);
      }
    },
    failureCode: { none: 0, unreachable: 1, timeout: 2, http_status: 3, cut_mid_stream: 4, cancelled: 5 },
    endFetch: function(id, failure, status, message, body) {
      var f = HS.fetches[id];
      if (!f || f.ended) return;
      f.ended = true;
      clearTimeout(f.idleTimer);
      clearTimeout(f.totalTimer);
      delete HS.fetches[id];
      var msg = HS.cString(message || '');
      var b = HS.cString(body || '');
      _hs_on_fetch_end(id, HS.failureCode[failure], status, msg, b);
      _free(msg); _free(b);
    },
    // The error text of an OpenAI-style {"error":{"message":...}} body, else the body's start.
    serverErrorText: function(body) {
      try {
        var j = JSON.parse(body);
        if (j && j.error && typeof j.error.message === 'string') return j.error.message;
        if (j && typeof j.error === 'string') return j.error;
      } catch (e) {}
      return body.slice(0, 200);
    },
  },

  hs_model_load__deps: ['$HS'],
  hs_model_load: function(slot, modelUrl, tokenizerUrl, threads, spin) {
    HS.loading[slot] = true;
    HS.start().postMessage({ type: 'load', slot: slot, model: UTF8ToString(modelUrl),
                             tokenizer: UTF8ToString(tokenizerUrl), threads: threads, spin: !!spin });
  },

  hs_model_run__deps: ['$HS'],
  hs_model_run: function(slot, id, idsPtr, count, keep, logitsPtr, logitsCapacity) {
    var ids = new Int32Array(count);
    ids.set(HEAP32.subarray(idsPtr >> 2, (idsPtr >> 2) + count));  // copied now: C++ may reuse it
    HS.logitsPtr[slot + ':' + id] = { ptr: logitsPtr, capacity: logitsCapacity };
    HS.start().postMessage({ type: 'run', slot: slot, id: id, ids: ids, keep: keep }, [ids.buffer]);
  },

  hs_model_release__deps: ['$HS'],
  hs_model_release: function(slot) {
    // Runs still in flight must not write into the C++ buffer any more (it is being freed).
    for (var key in HS.logitsPtr) if (key.split(':')[0] === String(slot)) delete HS.logitsPtr[key];
    delete HS.loading[slot];
    if (HS.worker) HS.worker.postMessage({ type: 'release', slot: slot });
  },

  hs_fetch_start__deps: ['$HS'],
  hs_fetch_start: function(id, urlPtr, bodyPtr, headersJsonPtr, idleMs, totalMs) {
    var url = UTF8ToString(urlPtr), body = UTF8ToString(bodyPtr);
    var headers = JSON.parse(UTF8ToString(headersJsonPtr) || '{}');
    var controller = new AbortController();
    var f = { controller: controller, reason: 'cancelled', ended: false, status: 0 };
    HS.fetches[id] = f;
    // Deadlines: silence (first byte included) and the whole response, as natively.
    var armIdle = function() {
      clearTimeout(f.idleTimer);
      f.idleTimer = setTimeout(function() {
        f.reason = 'idle';
        controller.abort();
      }, idleMs);
    };
    armIdle();
    f.totalTimer = setTimeout(function() { f.reason = 'total'; controller.abort(); }, totalMs);
    var aborted = function() {
      if (f.reason === 'idle')
        return ['timeout', (f.status ? 'the stream stalled for ' : 'no answer within ') + idleMs + ' ms'];
      if (f.reason === 'total') return ['timeout', 'the response took longer than ' + totalMs + ' ms'];
      return ['cancelled', 'cancelled'];
    };
    fetch(url, { method: 'POST', body: body, headers: headers, signal: controller.signal, mode: 'cors',
                 cache: 'no-store' })
      .then(function(response) {
        f.status = response.status;
        if (!HS.fetches[id]) return;
        armIdle();
        _hs_on_fetch_status(id, response.status);
        if (!response.ok) {
          return response.text().then(function(text) {
            HS.endFetch(id, 'http_status', response.status,
                        'HTTP ' + response.status + ': ' + HS.serverErrorText(text), text.slice(0, 65536));
          });
        }
        var reader = response.body.getReader();
        var pump = function() {
          return reader.read().then(function(r) {
            if (!HS.fetches[id]) { reader.cancel(); return; }
            if (r.done) { HS.endFetch(id, 'none', response.status, '', ''); return; }
            armIdle();
            var n = r.value.length;
            var ptr = _malloc(n);
            HEAPU8.set(r.value, ptr);  // the view as of now (memory may have grown)
            _hs_on_fetch_bytes(id, ptr, n);
            _free(ptr);
            return pump();
          });
        };
        return pump();
      })
      .catch(function(e) {
        if (!HS.fetches[id]) return;
        if (controller.signal.aborted) {
          var why = aborted();
          HS.endFetch(id, why[0], f.status, why[1], '');
        } else if (f.status) {
          HS.endFetch(id, 'cut_mid_stream', f.status, 'the stream was cut mid-way (' + (e && e.message || e) + ')', '');
        } else {
          // fetch() says only "Failed to fetch" for refused connections, DNS and CORS alike.
          HS.endFetch(id, 'unreachable', 0, 'cannot reach ' + url + ' (' + (e && e.message || e) + ')', '');
        }
      });
  },

  hs_fetch_abort__deps: ['$HS'],
  hs_fetch_abort: function(id) {
    var f = HS.fetches[id];
    if (f) { f.reason = 'cancelled'; f.controller.abort(); }
  },

  hs_page_info__deps: ['$HS'],
  // A JSON string the page set before the app started (Module.headstartConfig): the models, the
  // default cloud endpoint, bench settings. Returned as a fresh C string (the caller frees it).
  hs_page_info: function() {
    var cfg = Module.headstartConfig || {};
    if (!cfg.cloud) cfg.cloud = location.origin;
    return HS.cString(JSON.stringify(cfg));
  },

  hs_bench_report__deps: ['$HS'],
  hs_bench_report: function(jsonPtr) {
    var text = UTF8ToString(jsonPtr);
    if (Module.onBenchReport) Module.onBenchReport(JSON.parse(text));
  },

  hs_page_file__deps: ['$HS'],
  // Bytes the page fetched before the app started (Module.headstartFiles[name], a Uint8Array), as
  // a fresh malloc'd buffer (the caller frees it; its size goes to *sizePtr); 0 when absent.
  hs_page_file: function(namePtr, sizePtr) {
    var bytes = (Module.headstartFiles || {})[UTF8ToString(namePtr)];
    HEAP32[sizePtr >> 2] = 0;
    if (!bytes || !bytes.length) return 0;
    var ptr = _malloc(bytes.length);
    HEAPU8.set(bytes, ptr);
    HEAP32[sizePtr >> 2] = bytes.length;
    return ptr;
  },

  hs_storage_read__deps: ['$HS'],
  // localStorage[key] as a fresh C string ("" when unset); 0 when the page has no storage.
  hs_storage_read: function(keyPtr) {
    try {
      var v = window.localStorage.getItem(UTF8ToString(keyPtr));
      return HS.cString(v === null ? '' : v);
    } catch (e) {
      return 0;
    }
  },

  // Appends a line to localStorage[key]; returns 1 once stored (setItem is synchronous), else 0.
  hs_storage_append: function(keyPtr, linePtr) {
    try {
      var key = UTF8ToString(keyPtr);
      var old = window.localStorage.getItem(key);
      window.localStorage.setItem(key, (old ? old + '\n' : '') + UTF8ToString(linePtr));
      return 1;
    } catch (e) {
      console.warn('headstart: localStorage: ' + (e && e.message || e));
      return 0;
    }
  },

  // Offers `text` to the user as a downloaded file.
  hs_download: function(namePtr, typePtr, textPtr) {
    var blob = new Blob([UTF8ToString(textPtr)], { type: UTF8ToString(typePtr) });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = UTF8ToString(namePtr);
    document.body.appendChild(a);
    a.click();
    setTimeout(function() { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  },
});
