// Runs a Python snippet with Debian's python3-consul (`import consul`) and returns what it prints as JSON.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** Debian's interpreter (where python3-consul lives) first; any python3 on PATH otherwise. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function pythonConsulAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import consul'], { encoding: 'utf8', timeout: 15_000 }).status === 0;
}

/** Runs `code` with `c = consul.Consul(port=PORT)` defined; the snippet must print one JSON value last. */
export function runPythonConsul(port: number, code: string): unknown {
  const script = `import json, sys, consul\nc = consul.Consul(host='127.0.0.1', port=${port})\n${code}\n`;
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3-consul snippet failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}
