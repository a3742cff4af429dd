// web/serve.mjs — a static file server for the built page (build/wasm/web), with the
// cross-origin-isolation headers (COOP/COEP) that let onnxruntime-web use threads.
//   node web/serve.mjs DIR [PORT]     (PORT 0 picks a free one; the URL is printed)
// serve(dir, port, host, mounts): mounts maps URL prefixes to more folders, e.g.
// {'/bench-models/': 'build/bench-models'} (web/bench.mjs serves the benchmark's models so).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.onnx': 'application/octet-stream',
  '.png': 'image/png', '.css': 'text/css',
};

export function serve(dir, port = 0, host = '127.0.0.1', mounts = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const prefix = Object.keys(mounts).find((p) => url.pathname.startsWith(p));
    const root = path.resolve(prefix ? mounts[prefix] : dir);
    const rest = prefix ? '/' + url.pathname.slice(prefix.length) : url.pathname;
    let file = path.normalize(path.join(root, decodeURIComponent(rest)));
    if (!file.startsWith(root)) { res.writeHead(403).end('forbidden'); return; }
    if (file.endsWith(path.sep) || file === root) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: ' + url.pathname); return; }
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cache-Control': 'no-cache',
        'Content-Length': data.length,  // the page's progress bar needs it
      });
      res.end(data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, port] = process.argv.slice(2);
  if (!dir || !fs.existsSync(path.join(dir, 'index.html'))) {
    console.error(`usage: node web/serve.mjs DIR [PORT] — DIR must hold index.html (build it: cmake --build --preset wasm)`);
    process.exit(2);
  }
  const server = await serve(dir, Number(port || 8080), process.env.HOST || '127.0.0.1');
  console.log(`Headstart web page: http://${server.address().address}:${server.address().port}/`);
}
