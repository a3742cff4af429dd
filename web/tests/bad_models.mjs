// web/tests/bad_models.mjs — the page with broken μLM files, in a real headless Chromium: a truncated ONNX,
// one whose first bytes are overwritten, a file that is not ONNX at all, a valid ONNX model of another
// layout (no input_ids, no KV cache) and a broken tokenizer.json. For each, a copy of the built page whose
// models/ holds only that file is served by a real headstart-cloud, and the page must say what is wrong
// (the banner and window.headstart.progress.modelError name the file and the reason), keep rendering,
// and a question asked anyway ends with that same error, with no uncaught error.
//   node web/tests/bad_models.mjs --dist build/wasm/web --cloud build/native/cloud/headstart-cloud \
//        --fixtures build/native/fixtures
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checks, cliArgs, launchChromium, root, sleep } from '../harness.mjs';
import { startCloudProcess } from './cloud_process.mjs';

const args = cliArgs();
const dist = path.resolve(args.dist || 'build/wasm/web');
const cloudBin = path.resolve(args.cloud || path.join(root, 'build/native/cloud/headstart-cloud'));
const fixtures = path.resolve(args.fixtures || path.join(root, 'build/native/fixtures'));
const { check, end } = checks();

const tiny = fs.readFileSync(path.join(fixtures, 'tiny.onnx'));
const tokenizer = fs.readFileSync(path.join(fixtures, 'tokenizer.json'));
const overwritten = Buffer.from(tiny);
overwritten.fill(0xff, 0, 64);
const cases = [
  { name: 'a truncated ONNX', model: tiny.subarray(0, tiny.length >> 1), expect: /cannot load the μLM .*broken\.onnx/ },
  { name: 'an ONNX whose first 64 bytes are overwritten', model: overwritten, expect: /cannot load the μLM .*broken\.onnx/ },
  { name: 'a file that is not ONNX', model: Buffer.from('this is not a protobuf \x01\x02\x03'), expect: /cannot load the μLM .*broken\.onnx/ },
  { name: 'a valid ONNX model of another layout', model: fs.readFileSync(path.join(fixtures, 'wrong-layout.onnx')),
    expect: /broken\.onnx.*input_ids/ },
  { name: 'a broken tokenizer.json', model: tiny, tokenizer: Buffer.from('{"model": {"type": "BPE", "vocab": {'),
    expect: /tokenizer\.json/ },
];

// A copy of the built page (links) whose models/ holds one μLM entry with the given bytes.
function stage(c) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'headstart-bad-model-'));
  for (const entry of fs.readdirSync(dist))
    if (entry !== 'models') fs.symlinkSync(path.join(dist, entry), path.join(d, entry));
  fs.mkdirSync(path.join(d, 'models'));
  fs.writeFileSync(path.join(d, 'models', 'broken.onnx'), c.model);
  fs.writeFileSync(path.join(d, 'models', 'tokenizer.json'), c.tokenizer || tokenizer);
  fs.writeFileSync(path.join(d, 'models', 'models.json'),
    JSON.stringify([{ name: 'broken μLM', model: 'models/broken.onnx', tokenizer: 'models/tokenizer.json' }]));
  return d;
}

const { browser, close } = await launchChromium();
try {
  for (const c of cases) {
    const dir = stage(c);
    const cloud = await startCloudProcess(cloudBin, ['--port', '0', '--model', path.join(fixtures, 'tiny.onnx'),
      '--tokenizer', path.join(fixtures, 'tokenizer.json'), '--web', dir, '--first-token-ms', '100', '--jitter-ms', '0'], 20000);
    const page = await browser.newPage();
    const uncaught = [];
    page.on('pageerror', (e) => uncaught.push(e.message));
    try {
      await page.goto(`${cloud.url}/`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.headstart?.progress?.ready && window.headstart.state()?.frames > 30,
        { timeout: 90000, polling: 100 }).catch(() => {});
      const seen = await page.evaluate(() => ({
        error: window.headstart?.progress?.modelError || '',
        banner: document.getElementById('banner')?.textContent || '',
        bannerShown: document.getElementById('banner')?.style.display === 'block',
        state: window.headstart?.state(),
      }));
      console.log(`${c.name}: "${seen.error}"`);
      check(c.expect.test(seen.error), `${c.name}: the page says what is wrong (${c.expect})`);
      check(seen.bannerShown && seen.banner === seen.error, `${c.name}: the banner shows it`);
      check(seen.state?.frames > 30 && seen.state?.error === '', `${c.name}: the app keeps rendering, no app error`);
      // Asking anyway: the turn says the same readable error instead of failing silently or hanging.
      await page.evaluate((question) => window.headstart.ask(question), 'What is the capital of France?');
      let after = null;
      for (const t0 = Date.now(); Date.now() - t0 < 20000; await sleep(50)) {
        after = await page.evaluate(() => window.headstart.state());
        if (after?.status === 'failed' || after?.turn) break;
      }
      if (!check(after?.status === 'failed' && c.expect.test(after?.turn_error || '') && after?.error === '',
        `${c.name}: asking anyway ends the turn with that error, the app runs on`))
        console.log(`  state: ${JSON.stringify(after).slice(0, 800)}`);
      check(uncaught.length === 0, `${c.name}: no uncaught page error${uncaught.length ? ': ' + uncaught.join('; ') : ''}`);
    } finally {
      await page.close();
      cloud.proc.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await close();
}
end('web bad models');
