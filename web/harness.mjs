// web/harness.mjs — what the page's node scripts share (web/tests/*.mjs, web/screenshot.mjs, web/bench.mjs):
//   root, cliArgs()            the repository; the script's --key value pairs as an object
//   nodeModule(name)           a package from NODE_PATH or .deps/web/node_modules (scripts/setup's npm install)
//   launchChromium(opts)       Debian's /usr/bin/chromium (or $CHROMIUM) headless through puppeteer-core, in a
//                              throwaway profile; opts.graphics: SwiftShader WebGL and a 1280x800 window (the
//                              app draws); opts.args: more flags. Resolves to { browser, close() }.
//   checks()                   check(ok, what) prints "ok"/"FAIL what" and counts; end(label) prints
//                              "label: N passed, M failed" and exits 1 when any failed
//   ev(page, fn, ...args)      fn(...args) in the page, *not* as a user gesture (puppeteer's page.evaluate is
//                              one, which would let the page play sound without the click a test is about)
//   state(page), until(page, condition, ms), load(page, url)   window.headstart's state, a condition
//                              (window.headstart.condition) within ms, the page loaded and drawing
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function cliArgs(argv = process.argv.slice(2)) {
  return Object.fromEntries(argv.reduce((acc, a, i, all) =>
    (a.startsWith('--') ? acc.concat([[a.slice(2), all[i + 1]]]) : acc), []));
}

export function nodeModule(name) {
  const dir = process.env.NODE_PATH?.split(':').find((p) => p && fs.existsSync(path.join(p, name)))
    || path.join(root, '.deps/web/node_modules');
  return createRequire(path.join(path.resolve(dir), 'noop.js'))(name);
}

export async function launchChromium({ graphics = true, args = [] } = {}) {
  const puppeteer = nodeModule('puppeteer-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'headstart-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', ...(graphics ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] : []),
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      `--user-data-dir=${profile}`, ...(graphics ? ['--window-size=1280,800'] : []), ...args],
    ...(graphics ? { defaultViewport: { width: 1280, height: 800 } } : {}),
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function checks() {
  let passes = 0, failures = 0;
  return {
    check: (ok, what) => {
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
      ok ? passes++ : failures++;
      return ok;
    },
    failures: () => failures,
    end: (label) => {
      console.log(`${label}: ${passes} passed, ${failures} failed`);
      process.exit(failures ? 1 : 0);
    },
  };
}

const sessions = new WeakMap();
export async function ev(page, fn, ...args) {
  if (!sessions.has(page)) sessions.set(page, await page.createCDPSession());
  const r = await sessions.get(page).send('Runtime.evaluate', {
    expression: `(${fn})(...${JSON.stringify(args)})`, returnByValue: true, awaitPromise: true, userGesture: false,
  });
  if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
  return r.result.value;
}

export const state = (page) => ev(page, () => window.headstart.state());

export async function until(page, name, ms) {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(100))
    if (await ev(page, (n) => window.headstart.condition(n), name)) return true;
  return false;
}

export async function load(page, url) {
  await page.goto(url, { waitUntil: 'load' });
  for (const t0 = Date.now(); Date.now() - t0 < 120000; await sleep(100))
    if (await ev(page, () => !!(window.headstart?.progress?.ready && window.headstart.state()?.frames > 30))) return;
  throw new Error(`the page did not get ready: ${url}`);
}
