// web/tests/e2e.mjs — loads the built page in a real headless Chromium (puppeteer-core driving
// /usr/bin/chromium), waits for the app to render, reads its state through window.headstart,
// and checks a screenshot is not blank.
//   node web/tests/e2e.mjs --dist build/wasm/web --out build/wasm/screenshots
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? acc.concat([[a.slice(2), all[i + 1]]]) : acc), []));
const dist = path.resolve(args.dist || 'build/wasm/web');
const out = path.resolve(args.out || 'build/wasm/screenshots');
const modules = process.env.NODE_PATH?.split(':').find((p) => fs.existsSync(path.join(p, 'puppeteer-core')))
  || path.resolve(here, '../../.deps/web/node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
const puppeteer = require('puppeteer-core');

let failures = 0, passes = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); ok ? passes++ : failures++; };

fs.mkdirSync(out, { recursive: true });
const server = await serve(dist, 0);
const url = `http://127.0.0.1:${server.address().port}/`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'headstart-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', `--user-data-dir=${profile}`, '--window-size=1280,800'],
  defaultViewport: { width: 1280, height: 800 },
});
try {
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  const t0 = Date.now();
  await page.waitForFunction(() => window.headstart?.state()?.frames > 60, { timeout: 60000, polling: 100 })
    .catch((e) => logs.push(`[timeout] ${e.message}`));
  const state = await page.evaluate(() => window.headstart?.state());
  console.log('state:', JSON.stringify(state), `(${Date.now() - t0} ms)`);
  check(state && state.app === 'headstart', 'the state hook answers');
  check(state?.frames > 60, 'the app renders frames in the browser loop');
  check(state?.platform === 'web', 'the app knows it runs on the web');
  check(state?.shader_ok === true, 'the backdrop shader compiled as GLSL ES 3.00');
  check(state?.framebuffer?.[0] >= 1000 && state?.framebuffer?.[1] >= 600, 'the canvas fills the page');
  check(state?.error === '', 'no app error');
  check(await page.evaluate(() => document.getElementById('loading').classList.contains('done')),
    'the loading overlay is gone');
  const shot = path.join(out, 'web.png');
  await page.screenshot({ path: shot });
  const colours = Number(execFileSync('identify', ['-format', '%k', shot]).toString());
  const sd = Number(execFileSync('convert', [shot, '-colorspace', 'Gray', '-format',
    '%[fx:int(1000*standard_deviation)]', 'info:']).toString());
  check(colours >= 50 && sd >= 20, `the screenshot is not blank (${colours} colours, stddev ${sd}/1000): ${shot}`);
  if (failures) console.log(logs.join('\n'));
} finally {
  await browser.close();
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(`web e2e: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
