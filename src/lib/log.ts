// Structured logging: a small Logger interface backed by pino, with secret-bearing fields redacted.
import pino from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface Logger {
  trace(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Field names whose values never reach a log line. */
export const REDACTED_FIELDS = ['token', 'Token', 'secret', 'SecretID', 'PeeringToken', 'privateKey', 'PrivateKeyPEM'];

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** JSON lines instead of human-readable lines. @default false */
  json?: boolean;
  /** Where lines go. @default process.stderr */
  destination?: NodeJS.WritableStream;
}

type PinoLike = ReturnType<typeof pino<never>>;

/** The most characters of one logged string (peer- or client-supplied values can be megabytes). */
export const MAX_LOG_STRING = 1024;
const MAX_LOG_ITEMS = 64;
const MAX_LOG_DEPTH = 4;

function truncate(s: string): string {
  return s.length <= MAX_LOG_STRING ? s : `${s.slice(0, MAX_LOG_STRING)}…(${s.length - MAX_LOG_STRING} more characters)`;
}

/** Bounds what one log call can write: long strings cut, long lists and deep objects elided. */
function bounded(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return truncate(v);
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Error) return truncate(v.message);
  if (depth >= MAX_LOG_DEPTH) return '[…]';
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_LOG_ITEMS).map((x) => bounded(x, depth + 1));
    if (v.length > MAX_LOG_ITEMS) items.push(`…(${v.length - MAX_LOG_ITEMS} more items)`);
    return items;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, x] of Object.entries(v)) {
    if (n++ >= MAX_LOG_ITEMS) break;
    Object.defineProperty(out, truncate(k), { value: bounded(x, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function wrap(p: PinoLike): Logger {
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (fields) p[level](bounded(fields) as Record<string, unknown>, truncate(msg));
      else p[level](truncate(msg));
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(p.child(bounded(bindings) as Record<string, unknown>)),
  };
}

const LEVEL_LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Control characters (newlines above all) never reach a text line raw: one event, one line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A `key=value` value: bare when it is one plain word, else a quoted, escaped JSON string. */
function textValue(v: unknown): string {
  if (typeof v !== 'string') return escapeControls(JSON.stringify(v) ?? String(v));
  return v === '' || /[\s"=]/.test(v) || HAS_CONTROL.test(v) ? escapeControls(JSON.stringify(v)) : v;
}

function prettyLine(obj: Record<string, unknown>): string {
  const { level, time, msg, pid: _pid, hostname: _host, ...rest } = obj;
  const lvl = LEVEL_LABELS[level as number] ?? String(level);
  const extra = Object.entries(rest)
    .map(([k, v]) => `${escapeControls(k).replace(/[\s=]/g, '_')}=${textValue(v)}`)
    .join(' ');
  return `${new Date(time as number).toISOString()} [${lvl.toUpperCase()}] ${escapeControls(String(msg))}${extra ? ' ' + extra : ''}\n`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const dest = options.destination ?? process.stderr;
  const stream = options.json
    ? dest
    : {
        write(line: string): void {
          dest.write(prettyLine(JSON.parse(line) as Record<string, unknown>));
        },
      };
  const p = pino(
    {
      level: options.level ?? 'info',
      base: null,
      redact: { paths: REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '<redacted>' },
    },
    stream as Parameters<typeof pino>[1],
  );
  return wrap(p);
}

/** A logger that drops everything (tests that do not inspect logs). */
export const SILENT_LOGGER: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => SILENT_LOGGER,
};
