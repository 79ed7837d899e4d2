// Runs Debian's `dig` (dnsutils) against a local DNS port and parses what it prints.
import { spawnSync } from 'node:child_process';

export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DigResult {
  status: string;
  /** Header flags as dig prints them: qr, aa, tc, rd, ra. */
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** The UDP size of the OPT record in the response, when one came back. */
  ednsUdp?: number;
  /** Bytes received (dig's MSG SIZE). */
  size: number;
  raw: string;
}

export function digAvailable(): boolean {
  return spawnSync('dig', ['-v'], { encoding: 'utf8' }).status === 0;
}

/** `dig @127.0.0.1 -p PORT NAME TYPE +opts…` (one try, no TCP retry on TC unless +tcp is given). */
export function dig(port: number, name: string, type: string, opts: string[] = []): DigResult {
  const args = ['@127.0.0.1', '-p', String(port), '+time=5', '+tries=1', '+ignore', ...opts, name, type];
  const r = spawnSync('dig', args, { encoding: 'utf8', timeout: 15_000 });
  const raw = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`dig ${args.join(' ')} failed (${r.status}):\n${raw}`);
  return parseDig(raw);
}

export function parseDig(raw: string): DigResult {
  const out: DigResult = { status: '', flags: [], answer: [], authority: [], additional: [], size: 0, raw };
  let section: 'answer' | 'authority' | 'additional' | undefined;
  for (const line of raw.split('\n')) {
    const status = /status: ([A-Z]+)/.exec(line);
    if (status) out.status = status[1] as string;
    const flags = /^;; flags: ([a-z ]*);/.exec(line);
    if (flags) out.flags = (flags[1] as string).trim().split(/\s+/);
    const edns = /^; EDNS: .*udp: (\d+)/.exec(line);
    if (edns) out.ednsUdp = Number(edns[1]);
    const size = /MSG SIZE\s+rcvd: (\d+)/.exec(line);
    if (size) out.size = Number(size[1]);
    if (line.startsWith(';; ANSWER SECTION')) section = 'answer';
    else if (line.startsWith(';; AUTHORITY SECTION')) section = 'authority';
    else if (line.startsWith(';; ADDITIONAL SECTION')) section = 'additional';
    else if (line.trim() === '' || line.startsWith(';')) {
      if (line.trim() === '') section = undefined;
    } else if (section) {
      const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line);
      if (m) out[section].push({ name: m[1] as string, ttl: Number(m[2]), type: m[3] as string, data: (m[4] as string).trim() });
    }
  }
  return out;
}
