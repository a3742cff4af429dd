// wasm/voice_worklet.js — the page's audio device: an AudioWorkletProcessor that plays the samples the app
// queued (wasm/web_voice.js posts them) and reports each take, as desktop/sdl_voice.cpp's SDL callback does:
// the queued samples [from, to) went out at frame out_at of everything this context has rendered
// (currentFrame: the device's own clock, silence included). The rest of each 128-frame quantum is silence.
class HeadstartVoice extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunks = [];   // Float32Arrays not played yet, oldest first
    this.offset = 0;    // into chunks[0]
    this.taken = 0;     // samples taken since the last clear
    this.generation = 0;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m.clear !== undefined) {  // a new turn: drop what has not played, count from zero again
        this.chunks = [];
        this.offset = 0;
        this.taken = 0;
        this.generation = m.clear;
      } else if (m.samples) {
        this.chunks.push(m.samples);
      }
    };
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    let n = 0;
    while (n < out.length && this.chunks.length) {
      const c = this.chunks[0];
      const k = Math.min(out.length - n, c.length - this.offset);
      out.set(c.subarray(this.offset, this.offset + k), n);
      n += k;
      this.offset += k;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    if (n > 0) {
      this.port.postMessage({ generation: this.generation, from: this.taken, to: this.taken + n, out_at: currentFrame });
      this.taken += n;
    }
    return true;
  }
}

registerProcessor('headstart-voice', HeadstartVoice);
