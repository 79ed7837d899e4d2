// Benchmark: PUT /v1/catalog/register from 16 concurrent wrk connections against an agent on the
// sqlite store (synchronous=FULL: every acknowledged write fsync'd), beside two baselines measured in
// the same run: a bare node:http server doing one fsync'd SQLite upsert per request (no group
// commit), and a bare node:http server that writes nothing (the HTTP ceiling).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent } from '../test/support/agent-process.js';
import { startBare, stop } from './processes.js';
import { fmt, printTable } from './stats.js';
import { wrk, type WrkResult } from './wrk.js';

/** Each wrk thread registers its own nodes: w<thread>-<n>, one service each. */
const SCRIPT = `
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  local body = string.format('{"Node":"w%d-%d","Address":"10.1.%d.%d","Service":{"Service":"svc-%d","ID":"svc-%d-%d","Port":8080,"Tags":["v1"]},"Check":{"CheckID":"c-%d-%d","Name":"alive","Status":"passing","ServiceID":"svc-%d-%d"}}', tid, n, tid, n % 250, n % 100, tid, n, tid, n, tid, n)
  return wrk.format("PUT", "/v1/catalog/register", {["Content-Type"] = "application/json"}, body)
end
`;

export async function benchRegister(tmp: string, opts: { seconds: number; connections: number }): Promise<Record<string, number>> {
  const script = join(tmp, 'register.lua');
  writeFileSync(script, SCRIPT);
  const load = (url: string): Promise<WrkResult> => wrk(url, { seconds: opts.seconds, connections: opts.connections, threads: 2, script });
  const agent = await startAgent(['--data-dir', join(tmp, `register-${process.pid}`), '--node', 'bench', '--log-level', 'warn']);
  const bareDb = await startBare('sqlite', join(tmp, `bare-register-${process.pid}.db`));
  const bodyFile = join(tmp, 'true.json');
  writeFileSync(bodyFile, 'true');
  const ceiling = await startBare('serve', bodyFile);
  try {
    const url = (port: number): string => `http://127.0.0.1:${port}/v1/catalog/register`;
    await load(url(agent.port)); // warm-up (also grows the catalog a little)
    const c = await load(url(ceiling.port));
    const b = await load(url(bareDb.port));
    const i = await load(url(agent.port));
    printTable(`PUT /v1/catalog/register — wrk -t2 -c${opts.connections}, ${opts.seconds}s each, sqlite synchronous=FULL`, ['server', 'writes/s', 'p50 ms', 'p99 ms', 'errors'], [
      ['bare node:http, no write (ceiling)', fmt(c.reqPerSec, 0), fmt(c.p50Ms, 2), fmt(c.p99Ms, 2), c.errors],
      ['bare node:http + one fsync per write', fmt(b.reqPerSec, 0), fmt(b.p50Ms, 2), fmt(b.p99Ms, 2), b.errors],
      ['isthmus (group commit)', fmt(i.reqPerSec, 0), fmt(i.p50Ms, 2), fmt(i.p99Ms, 2), i.errors],
    ]);
    console.log(`ratio isthmus/fsync-per-write: ${fmt(i.reqPerSec / b.reqPerSec, 2)}; isthmus/ceiling: ${fmt(i.reqPerSec / c.reqPerSec, 3)}`);
    return { registerPerSec: i.reqPerSec, registerP99Ms: i.p99Ms, bareFsyncPerSec: b.reqPerSec, bareCeilingPerSec: c.reqPerSec, registerErrors: i.errors };
  } finally {
    await Promise.all([agent.stop(), stop(bareDb.proc), stop(ceiling.proc)]);
  }
}
