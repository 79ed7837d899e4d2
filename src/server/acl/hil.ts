// The subset of HashiCorp HIL that binding rules use: `${var.name}` interpolation, nothing else.
// Text without `${` is literal (so the `{{ serviceaccount.name }}` form of some docs stays as written).

export class HilError extends Error {}

const VAR = /^[A-Za-z_][A-Za-z0-9_\-.]*$/;

/**
 * Replaces every `${name}` with its value (lower-cased when `lower`). Unknown variables, an empty
 * or malformed `${…}` and an unterminated `${` are errors, as HIL's parser and evaluator report them.
 */
export function interpolate(text: string, vars: Readonly<Record<string, string>>, lower: boolean): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    const end = text.indexOf('}', start + 2);
    if (end < 0) throw new HilError(`parse error at ${start + 1}: expected "}" but found end of string`);
    const name = text.slice(start + 2, end).trim();
    if (!VAR.test(name)) throw new HilError(`parse error at ${start + 3}: invalid interpolation "${name}"`);
    if (!Object.hasOwn(vars, name)) throw new HilError(`unknown variable accessed: ${name}`);
    const v = vars[name] as string;
    out += lower ? v.toLowerCase() : v;
    i = end + 1;
  }
  return out;
}

/** The variable names a template uses (no evaluation). */
export function variablesOf(text: string): string[] {
  return [...text.matchAll(/\$\{\s*([^}]*?)\s*\}/g)].map((m) => m[1] as string);
}
