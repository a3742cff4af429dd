// web/screenshot.mjs — the README's picture of the page: one finished turn in headless Chromium against
// a running headstart-cloud that serves the built page (scripts/demo web does exactly that).
//   PROFILE=lte scripts/demo web &        # or: build/native/cloud/headstart-cloud --web build/wasm/web
//   node web/screenshot.mjs [--url http://127.0.0.1:8088/] [--question "..."] [--out docs/screenshot-web.png]
//                           [--set temperature=0,profile=lte]   controls, as in the desktop's --script "set"
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? acc.concat([[a.slice(2), all[i + 1]]]) : acc), []));
const url = args.url || 'http://127.0.0.1:8088/';
const question = args.question || 'Can you explain the basics of quantum computing?';
const out = path.resolve(args.out || 'docs/screenshot-web.png');
const modules = process.env.NODE_PATH?.split(':').find((p) => fs.existsSync(path.join(p, 'puppeteer-core')))
  || path.resolve(here, '../.deps/web/node_modules');
const puppeteer = createRequire(path.join(modules, 'noop.js'))('puppeteer-core');

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'headstart-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`,
    '--window-size=1280,800'],
  defaultViewport: { width: 1280, height: 800 },
});
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
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
