// Starting and stopping the processes a benchmark measures (the server under test and baselines).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Starts the bare baseline server in its own process; resolves with its port. */
export async function startBare(mode: 'serve' | 'hold' | 'sqlite', bodyFile: string): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(HERE, 'bare-server.js'), mode, bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (c) => reject(new Error(`bare server exited with ${c}`)));
  });
  return { port, proc };
}

export function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}
