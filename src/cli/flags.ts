// Flag parsing with Go's `flag` package rules (what Consul's commands use): `-f v`, `-f=v`, `--f`,
// booleans `-f` / `-f=false`, parsing stops at the first positional argument (or `--`).
import type { FlagSpec } from './command.js';

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** A parse failure, worded as Go's flag package words it. */
export class FlagError extends Error {}

/** Go's strconv.ParseBool. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export function parseFlags(args: readonly string[], specs: Record<string, FlagSpec>): { values: FlagValues; positionals: string[] } {
  const byShort = new Map(Object.entries(specs).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  const values: FlagValues = {};
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const body = a.startsWith('--') ? a.slice(2) : a.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${a}`);
    const eq = body.indexOf('=');
    const given = eq < 0 ? body : body.slice(0, eq);
    const name = specs[given] ? given : byShort.get(given);
    const spec = name ? specs[name] : undefined;
    if (!name || !spec) throw new FlagError(`flag provided but not defined: -${given}`);
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (eq < 0) value = true;
      else {
        const b = goBool(body.slice(eq + 1));
        if (b === undefined) throw new FlagError(`invalid boolean value ${JSON.stringify(body.slice(eq + 1))} for -${given}: parse error`);
        value = b;
      }
    } else if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i + 1 >= args.length) throw new FlagError(`flag needs an argument: -${given}`);
      value = args[++i] as string;
    }
    if (spec.multiple && typeof value === 'string') values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else values[name] = value;
  }
  return { values, positionals: args.slice(i) };
}
