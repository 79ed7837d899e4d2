// The real helm and kubectl binaries (fetched once into .tools/bin by scripts/fetch-k8s-tools.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/agent-process.js';

let bin: string | undefined;

export function toolsBin(): string {
  bin ??= execFileSync(process.execPath, [join(ROOT, 'scripts', 'fetch-k8s-tools.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 }).trim();
  return bin;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): RunResult {
  const r = spawnSync(join(toolsBin(), 'helm'), args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HELM_CACHE_HOME: join(ROOT, '.tools', 'helm-cache'), HELM_CONFIG_HOME: join(ROOT, '.tools', 'helm-config'), HELM_DATA_HOME: join(ROOT, '.tools', 'helm-data') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const CHART = join(ROOT, 'charts', 'isthmus');
