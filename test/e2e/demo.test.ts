// `isthmus demo` runs every step against real processes and cleans up (the README's run command).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { BIN, ROOT } from '../support/agent-process.js';

function run(args: string[], untilText?: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let signalled = false;
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!signalled && untilText?.test(out)) {
        signalled = true;
        p.kill('SIGINT');
      }
    });
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('isthmus demo', () => {
  it('peers two clusters, calls across, shows a deny, and cleans up with --exit', async () => {
    const { code, out } = await run(['demo', '--exit']);
    assert.equal(code, 0, out);
    assert.match(out, /Both sides report the peering ACTIVE/);
    assert.match(out, /request 1: frontend \(west\) got: "hello from the backend in east"/);
    assert.match(out, /request: frontend \(west\) could not reach the backend/);
    assert.match(out, /Allowed again/);
    assert.match(out, /Web UI: east http:\/\/127\.0\.0\.1:\d+\/ui\/ {2}west http:\/\/127\.0\.0\.1:\d+\/ui\//);
    assert.match(out, /Stopped; all demo processes cleaned up\./);
  });

  it('keeps running until Ctrl-C, then cleans up', async () => {
    const { code, out } = await run(['demo'], /press Ctrl-C/);
    assert.equal(code, 0, out);
    assert.match(out, /Stopped; all demo processes cleaned up\./);
  });
});
