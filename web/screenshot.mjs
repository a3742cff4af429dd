// web/screenshot.mjs — the README's picture of the page: one finished turn in headless Chromium against
// a running headstart-cloud that serves the built page (scripts/demo web does exactly that).
//   PROFILE=lte scripts/demo web &        # or: build/native/cloud/headstart-cloud --web build/wasm/web
//   node web/screenshot.mjs [--url http://127.0.0.1:8088/] [--question "..."] [--out docs/screenshot-web.png]
//                           [--set temperature=0,profile=lte]   controls, as in the desktop's --script "set"
import path from 'node:path';
import { cliArgs, launchChromium } from './harness.mjs';

const args = cliArgs();
const url = args.url || 'http://127.0.0.1:8088/';
const question = args.question || 'Can you explain the basics of quantum computing?';
const out = path.resolve(args.out || 'docs/screenshot-web.png');
const { browser, close } = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.headstart?.progress?.ready && window.headstart.state()?.frames > 30,
    { timeout: 90000, polling: 100 });
  for (const kv of (args.set || '').split(',').filter(Boolean)) {
    const [key, value] = kv.split('=');
    const why = await page.evaluate((k, v) => window.headstart.set(k, v), key, value);
    if (why) throw new Error(`set ${kv}: ${why}`);
  }
  await page.evaluate((q) => window.headstart.ask(q), question);
  await page.waitForFunction((q) => {
    const s = window.headstart.state();
    return s?.turn?.question === q && s.turn.phase === 'done' && s.running === false;
  }, { timeout: 60000, polling: 100 }, question);
  await new Promise((r) => setTimeout(r, 500));
  await page.screenshot({ path: out });
  const t = (await page.evaluate(() => window.headstart.state())).turn;
  console.log(`wrote ${out}: opener "${t.opener}", path ${t.path}`);
} finally {
  await close();
}
