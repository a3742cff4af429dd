// web/tests/cloud_process.mjs — a headstart-cloud process for the node tests: started with the given
// flags (--port 0: a free port), resolved with its URL once it prints it, rejected with its output
// if it exits or stays silent past the timeout.
import { spawn } from 'node:child_process';

export function startCloudProcess(bin, flags, timeoutMs = 30000) {
  const proc = spawn(bin, flags, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`headstart-cloud did not start:\n${log}`)), timeoutMs);
    const onData = (d) => {
      log += d;
      const m = /headstart-cloud: (http:\/\/[^/\s]+)\//.exec(log);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1], log: () => log }); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`headstart-cloud exited (${code}):\n${log}`)); });
  });
}
