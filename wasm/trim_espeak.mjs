// wasm/trim_espeak.mjs — stages eSpeak NG compiled to WebAssembly (npm @echogarden/espeak-ng-emscripten,
// GPL-3.0, fetched by scripts/setup into .deps/web/node_modules) beside the page, keeping only the voice
// data English needs: the package's espeak-ng.data holds every language (24 MB); the page needs the phoneme
// tables, the intonations, en_dict, the English voices (lang/gmw/en*) and the voice variants (voices/!v):
// under 1 MB. Run at build time (wasm/CMakeLists.txt):
//   node wasm/trim_espeak.mjs PACKAGE_DIR OUT_DIR
// OUT_DIR gets espeak-ng.js (its file-package table rewritten to the kept files), espeak-ng.data and
// COPYING. Rewritten only when the result changes (keeps the files' dates for caches).
import fs from 'node:fs';
import path from 'node:path';

const [pkg, out] = process.argv.slice(2);
if (!pkg || !out) {
  console.error('usage: node wasm/trim_espeak.mjs PACKAGE_DIR OUT_DIR');
  process.exit(2);
}
const DATA_ROOT = '/usr/share/espeak-ng-data/';
const keep = (name) => /^(phontab|phonindex|phondata|phondata-manifest|intonations|en_dict)$/.test(name) ||
  /^lang\/gmw\/en(-|$)/.test(name) || name.startsWith('voices/!v/');

const js = fs.readFileSync(path.join(pkg, 'espeak-ng.js'), 'utf8');
const data = fs.readFileSync(path.join(pkg, 'espeak-ng.data'));
// The file packager's table: loadPackage({files:[{filename:"...",start:N,end:N},...],remote_package_size:N})
const head = 'loadPackage({files:';
const at = js.indexOf(head);
const end = at < 0 ? -1 : js.indexOf('})', at);
if (at < 0 || end < 0) throw new Error(`${pkg}/espeak-ng.js has no file-package table (another version?)`);
const literal = js.slice(at + 'loadPackage('.length, end + 1);
const table = JSON.parse(literal.replace(/([{,])([a-z_]+):/g, '$1"$2":'));
if (table.remote_package_size !== data.length)
  throw new Error(`espeak-ng.data is ${data.length} bytes, its table says ${table.remote_package_size}`);

const files = [], parts = [];
let size = 0;
for (const f of table.files) {
  if (!f.filename.startsWith(DATA_ROOT) || !keep(f.filename.slice(DATA_ROOT.length))) continue;
  const bytes = data.subarray(f.start, f.end);
  files.push({ ...f, start: size, end: size + bytes.length });
  parts.push(bytes);
  size += bytes.length;
}
for (const need of ['phontab', 'phondata', 'en_dict', 'lang/gmw/en-US'])
  if (!files.some((f) => f.filename === DATA_ROOT + need)) throw new Error(`espeak-ng.data has no ${need}`);
const newTable = { ...table, files, remote_package_size: size };
const newLiteral = JSON.stringify(newTable).replace(/"([a-z_]+)":/g, '$1:');
const newJs = js.slice(0, at + 'loadPackage('.length) + newLiteral + js.slice(end + 1);

fs.mkdirSync(out, { recursive: true });
const write = (name, bytes) => {
  const p = path.join(out, name);
  if (fs.existsSync(p) && Buffer.compare(fs.readFileSync(p), Buffer.from(bytes)) === 0) return;
  fs.writeFileSync(p, bytes);
};
write('espeak-ng.js', newJs);
write('espeak-ng.data', Buffer.concat(parts));
write('COPYING', fs.readFileSync(path.join(pkg, 'COPYING')));
console.log(`eSpeak NG voice data: ${files.length} of ${table.files.length} files, ` +
  `${(size / 1048576).toFixed(2)} of ${(data.length / 1048576).toFixed(1)} MB -> ${out}`);
