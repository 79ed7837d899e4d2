// Runs the real kubectl against an API-server double (asynchronously: the double serves in this process).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsBin, type RunResult } from './tools.js';

export interface Kubectl {
  (args: string[], stdin?: string): Promise<RunResult>;
  kubeconfig: string;
  cleanup(): void;
}

export function kubectlFor(kubeconfigText: string): Kubectl {
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-kubectl-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, kubeconfigText);
  const bin = join(toolsBin(), 'kubectl');
  const run = (args: string[], stdin?: string): Promise<RunResult> =>
    new Promise((resolve) => {
      const p = spawn(bin, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      p.stdin.end(stdin ?? '');
    });
  return Object.assign(run, { kubeconfig, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
}
