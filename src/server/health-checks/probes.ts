// The I/O of health checks: one HTTP request or one TCP connect, turned into a status and output.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { CheckDefinition, CheckStatus } from '../catalog/types.js';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_OUTPUT_MAX_SIZE } from './definition.js';

export interface ProbeResult {
  status: CheckStatus;
  output: string;
}

/** Truncates output the way Consul reports it. */
export function truncateOutput(text: string, max: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return text;
  return `${Buffer.from(text).subarray(0, max).toString()} ... (captured ${max} of ${bytes} bytes)`;
}

/** 2xx → passing, 429 → warning, anything else → critical (Consul's HTTP check rules). */
export function statusForHttp(code: number): CheckStatus {
  if (code >= 200 && code < 300) return 'passing';
  if (code === 429) return 'warning';
  return 'critical';
}

/** Consul's HTTP checks follow up to 10 redirects unless DisableRedirects is set. */
export const MAX_REDIRECTS = 10;

export function probeHttp(def: CheckDefinition, redirects = 0): Promise<ProbeResult> {
  const url = def.HTTP as string;
  const method = def.Method || 'GET';
  const max = def.OutputMaxSize ?? DEFAULT_OUTPUT_MAX_SIZE;
  const timeout = def.Timeout ?? DEFAULT_CHECK_TIMEOUT_MS;
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      finish({ status: 'critical', output: `HTTP ${method} ${url}: invalid URL` });
      return;
    }
    const headers: Record<string, string | string[]> = {
      'User-Agent': 'Consul Health Check',
      Accept: 'text/plain, text/*, */*',
      ...(def.Header ?? {}),
    };
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(
      target,
      {
        method,
        headers,
        agent: false,
        timeout,
        ...(target.protocol === 'https:'
          ? { rejectUnauthorized: !def.TLSSkipVerify, ...(def.TLSServerName ? { servername: def.TLSServerName } : {}) }
          : {}),
      },
      (res) => {
        const code0 = res.statusCode ?? 0;
        const location = res.headers.location;
        if (code0 >= 300 && code0 < 400 && location && !def.DisableRedirects && redirects < MAX_REDIRECTS) {
          res.resume();
          let next: string;
          try {
            next = new URL(location, target).toString();
          } catch {
            finish({ status: 'critical', output: `HTTP ${method} ${url}: invalid redirect location "${location}"` });
            return;
          }
          void probeHttp({ ...def, HTTP: next }, redirects + 1).then(finish);
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < max + 1) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const body = truncateOutput(Buffer.concat(chunks).toString(), max);
          const code = res.statusCode ?? 0;
          finish({
            status: statusForHttp(code),
            output: `HTTP ${method} ${url}: ${code} ${res.statusMessage ?? ''} Output: ${body}`,
          });
        });
        res.on('error', (err) => finish({ status: 'critical', output: `HTTP ${method} ${url}: ${err.message}` }));
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`request timed out after ${timeout}ms`));
    });
    req.on('error', (err) => finish({ status: 'critical', output: `HTTP ${method} ${url}: ${err.message}` }));
    req.end(def.Body ?? undefined);
  });
}

export function probeTcp(def: CheckDefinition): Promise<ProbeResult> {
  const addr = def.TCP as string;
  const timeout = def.Timeout ?? DEFAULT_CHECK_TIMEOUT_MS;
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(addr);
  if (!m) return Promise.resolve({ status: 'critical', output: `TCP connect ${addr}: invalid address` });
  return new Promise<ProbeResult>((resolve) => {
    const sock = net.connect({ host: m[1] as string, port: Number(m[2]) });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ status: 'critical', output: `dial tcp ${addr}: i/o timeout` });
    }, timeout);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ status: 'passing', output: `TCP connect ${addr}: Success` });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
      resolve({ status: 'critical', output: `dial tcp ${addr}: ${why}` });
    });
  });
}
