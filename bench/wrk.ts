// HTTP load with `wrk` (a separate C process, so the load generator is never the bottleneck).
import { execFile } from 'node:child_process';

export interface WrkResult {
  reqPerSec: number;
  mibPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors plus non-2xx/3xx responses. */
  errors: number;
  /** Responses completed in the run. */
  requests: number;
}

function ms(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : m[2] === 'm' ? v * 60_000 : v;
}

function mib(text: string | undefined): number {
  const m = /^([\d.]+)([KMG]?B)$/.exec(text ?? '');
  if (!m) return NaN;
  return Number(m[1]) * ({ B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 }[m[2] as 'B'] ?? NaN);
}

/** Runs `wrk --latency -t<threads> -c<connections> -d<seconds>s [-s script] url` and parses its report. */
export function wrk(url: string, o: { seconds: number; connections: number; threads?: number; script?: string }): Promise<WrkResult> {
  const args = ['--latency', `-t${o.threads ?? 2}`, `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '10s', ...(o.script ? ['-s', o.script] : []), url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (o.seconds + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed (is it installed? apt-get install wrk): ${err.message}`));
      const line = (re: RegExp): RegExpExecArray | null => re.exec(stdout);
      const socketErrors = line(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
      const non2xx = Number(line(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
      resolve({
        reqPerSec: Number(line(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN),
        mibPerSec: mib(line(/Transfer\/sec:\s+(\S+)/)?.[1]),
        p50Ms: ms(line(/^\s+50%\s+(\S+)/m)?.[1]),
        p99Ms: ms(line(/^\s+99%\s+(\S+)/m)?.[1]),
        requests: Number(line(/(\d+) requests in /)?.[1] ?? NaN),
        errors: non2xx + (socketErrors ? socketErrors.slice(1).reduce((n, x) => n + Number(x), 0) : 0),
      });
    });
  });
}
