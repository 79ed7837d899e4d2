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

function wrap(p: PinoLike): Logger {
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (fields) p[level](fields, msg);
      else p[level](msg);
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(p.child(bindings)),
  };
}

const LEVEL_LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function prettyLine(obj: Record<string, unknown>): string {
  const { level, time, msg, pid: _pid, hostname: _host, ...rest } = obj;
  const lvl = LEVEL_LABELS[level as number] ?? String(level);
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${new Date(time as number).toISOString()} [${lvl.toUpperCase()}] ${String(msg)}${extra ? ' ' + extra : ''}\n`;
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
