// Go-compatible durations: parse "1m30s"/"500ms"/nanosecond numbers, format like time.Duration.String().

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Parses a Go duration string into milliseconds, or returns undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let s = text.trim();
  if (s === '') return undefined;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  let totalNs = 0;
  let consumed = false;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    totalNs += Number(m[1]) * (UNIT_NS[m[2] as string] as number);
    s = s.slice(m[0].length);
    consumed = true;
  }
  return consumed ? (sign * totalNs) / 1e6 : undefined;
}

/** Accepts what Consul accepts for a duration field: a Go string or a number of nanoseconds. */
export function durationFromJson(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value / 1e6;
  if (typeof value === 'string') return parseGoDuration(value);
  return undefined;
}

function trimFloat(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** Formats milliseconds the way Go's time.Duration.String() does ("10s", "1m0s", "1.5s", "500ms"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let ns = Math.round(Math.abs(ms) * 1e6);
  let out: string;
  if (ns < 1e3) out = `${ns}ns`;
  else if (ns < 1e6) out = `${trimFloat(ns / 1e3)}µs`;
  else if (ns < 1e9) out = `${trimFloat(ns / 1e6)}ms`;
  else {
    const h = Math.floor(ns / 3600e9);
    ns -= h * 3600e9;
    const m = Math.floor(ns / 60e9);
    ns -= m * 60e9;
    const s = trimFloat(ns / 1e9);
    if (h > 0) out = `${h}h${m}m${s}s`;
    else if (m > 0) out = `${m}m${s}s`;
    else out = `${s}s`;
  }
  return neg ? `-${out}` : out;
}
