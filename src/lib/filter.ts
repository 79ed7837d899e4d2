// Consul's `?filter=` boolean expressions (HashiCorp bexpr): parse once, evaluate on rendered JSON.
// Supported: ==, !=, is empty, is not empty, in, not in, contains, not contains, matches,
// not matches, and/or/not, parentheses; selectors are dotted JSON field names (Meta["k"] too).
import { invalid } from './errors.js';
import { depthMessage, MAX_NESTING_DEPTH } from './nesting.js';

type Ast =
  | { op: 'and' | 'or'; left: Ast; right: Ast }
  | { op: 'not'; expr: Ast }
  | { op: 'cmp'; selector: string[]; cmp: string; value?: string };

const TOKEN = /\s*(\(|\)|==|!=|"(?:[^"\\]|\\.)*"|`[^`]*`|\[\s*"(?:[^"\\]|\\.)*"\s*\]|[A-Za-z0-9_.\-/:*@]+(?:\[\s*"(?:[^"\\]|\\.)*"\s*\])*(?:\.[A-Za-z0-9_-]+)*)/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw invalid(`Failed to create boolean expression evaluator: unexpected input at position ${pos}: "${text.slice(pos, pos + 10)}"`);
    out.push(m[1] as string);
    pos = TOKEN.lastIndex;
  }
  return out;
}

/** A double-quoted literal; an escape Go's strconv.Unquote would refuse is a 400, never a thrown SyntaxError. */
function quoted(tok: string): string {
  try {
    return JSON.parse(tok) as string;
  } catch {
    throw invalid(`Failed to create boolean expression evaluator: invalid string literal ${tok.slice(0, 200)}`);
  }
}

function unquote(tok: string): string {
  if (tok.startsWith('"')) return quoted(tok);
  if (tok.startsWith('`')) return tok.slice(1, -1);
  return tok;
}

function selectorPath(tok: string): string[] {
  const parts: string[] = [];
  for (const m of tok.matchAll(/([A-Za-z0-9_-]+)|\[\s*("(?:[^"\\]|\\.)*")\s*\]/g)) parts.push(m[1] ?? quoted(m[2] as string));
  return parts;
}

class Parser {
  #i = 0;
  #depth = 0;
  constructor(private readonly toks: string[]) {}

  #peek(n = 0): string | undefined {
    return this.toks[this.#i + n];
  }

  #next(): string {
    const t = this.toks[this.#i++];
    if (t === undefined) throw invalid('Failed to create boolean expression evaluator: unexpected end of expression');
    return t;
  }

  parse(): Ast {
    const e = this.#or();
    if (this.#i < this.toks.length) throw invalid(`Failed to create boolean expression evaluator: unexpected "${this.#peek()}"`);
    return e;
  }

  #or(): Ast {
    let left = this.#and();
    while (this.#peek() === 'or') {
      this.#i++;
      left = { op: 'or', left, right: this.#and() };
    }
    return left;
  }

  #and(): Ast {
    let left = this.#unary();
    while (this.#peek() === 'and') {
      this.#i++;
      left = { op: 'and', left, right: this.#unary() };
    }
    return left;
  }

  #unary(): Ast {
    // Nested `not` and parentheses recurse: bound them like nested JSON (issue 10).
    if (++this.#depth > MAX_NESTING_DEPTH) throw invalid(`Failed to create boolean expression evaluator: ${depthMessage()}`);
    try {
      if (this.#peek() === 'not') {
        this.#i++;
        return { op: 'not', expr: this.#unary() };
      }
      if (this.#peek() === '(') {
        this.#i++;
        const e = this.#or();
        if (this.#next() !== ')') throw invalid('Failed to create boolean expression evaluator: missing ")"');
        return e;
      }
      return this.#comparison();
    } finally {
      this.#depth--;
    }
  }

  #comparison(): Ast {
    const first = this.#next();
    // <Value> in <Selector> / <Value> not in <Selector>
    if (this.#peek() === 'in' || (this.#peek() === 'not' && this.#peek(1) === 'in')) {
      const negate = this.#peek() === 'not';
      this.#i += negate ? 2 : 1;
      const sel = selectorPath(this.#next());
      return { op: 'cmp', selector: sel, cmp: negate ? 'not in' : 'in', value: unquote(first) };
    }
    const selector = selectorPath(first);
    const op = this.#next();
    if (op === '==' || op === '!=') return { op: 'cmp', selector, cmp: op, value: unquote(this.#next()) };
    if (op === 'is') {
      const n = this.#next();
      if (n === 'empty') return { op: 'cmp', selector, cmp: 'is empty' };
      if (n === 'not' && this.#next() === 'empty') return { op: 'cmp', selector, cmp: 'is not empty' };
      throw invalid('Failed to create boolean expression evaluator: expected "is empty" or "is not empty"');
    }
    if (op === 'contains' || op === 'matches') return { op: 'cmp', selector, cmp: op, value: checkedPattern(op, unquote(this.#next())) };
    if (op === 'not') {
      const n = this.#next();
      if (n === 'contains' || n === 'matches') return { op: 'cmp', selector, cmp: `not ${n}`, value: checkedPattern(n, unquote(this.#next())) };
    }
    throw invalid(`Failed to create boolean expression evaluator: unknown operator "${op}"`);
  }
}

const MAX_PATTERN = 1024;

/**
 * Go's RE2 runs in linear time; JavaScript's engine backtracks. Refuse what RE2 refuses (backreferences,
 * lookaround) and the shapes that backtrack exponentially: a repeated group that itself repeats or
 * alternates, e.g. `(a+)+`, `(a|aa)*` (issue 10: every input bounded).
 */
function regexProblem(p: string): string | undefined {
  if (p.length > MAX_PATTERN) return `is longer than ${MAX_PATTERN} characters`;
  if (/\\[1-9]|\\k<|\(\?<?[=!]/.test(p)) return 'uses invalid or unsupported Perl syntax (backreferences and lookaround are not supported)';
  const groups: boolean[] = []; // per open group: does it repeat or alternate inside?
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') groups.push(false);
    else if (c === ')') {
      const risky = groups.pop() ?? false;
      const next = p[i + 1];
      if (risky && (next === '*' || next === '+' || next === '{')) return 'repeats a group that itself repeats or alternates (exponential backtracking)';
      if (risky && groups.length > 0) groups[groups.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{' || c === '|') && groups.length > 0) groups[groups.length - 1] = true;
  }
  try {
    new RegExp(p);
  } catch (err) {
    return `is invalid: ${(err as Error).message}`;
  }
  return undefined;
}

function checkedPattern(op: string, value: string): string {
  if (op !== 'matches') return value;
  const problem = regexProblem(value);
  if (problem) throw invalid(`Failed to create boolean expression evaluator: regular expression "${value.slice(0, 200)}" ${problem}`);
  return value;
}

/** Values at a path; arrays along the way fan out (bexpr's "any element" semantics). */
function resolve(obj: unknown, path: string[]): unknown[] {
  let cur: unknown[] = [obj];
  for (const p of path) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (Array.isArray(c)) {
        for (const item of c) if (item && typeof item === 'object' && Object.hasOwn(item, p)) next.push((item as Record<string, unknown>)[p]);
      } else if (c && typeof c === 'object') {
        const rec = c as Record<string, unknown>;
        if (Object.hasOwn(rec, p)) next.push(rec[p]);
      }
    }
    cur = next;
  }
  return cur;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

function evalAst(a: Ast, obj: unknown): boolean {
  switch (a.op) {
    case 'and':
      return evalAst(a.left, obj) && evalAst(a.right, obj);
    case 'or':
      return evalAst(a.left, obj) || evalAst(a.right, obj);
    case 'not':
      return !evalAst(a.expr, obj);
    case 'cmp': {
      const vals = resolve(obj, a.selector);
      const v = a.value ?? '';
      const flat = vals.flatMap((x) => (Array.isArray(x) ? x : [x]));
      switch (a.cmp) {
        case '==':
          return vals.some((x) => !Array.isArray(x) && str(x) === v);
        case '!=':
          return !vals.some((x) => !Array.isArray(x) && str(x) === v);
        case 'is empty':
          return vals.length === 0 || vals.every(isEmpty);
        case 'is not empty':
          return vals.some((x) => !isEmpty(x));
        case 'in':
        case 'contains': {
          const hit = vals.some((x) => (Array.isArray(x) ? x.some((y) => str(y) === v) : x && typeof x === 'object' ? Object.hasOwn(x, v) : typeof x === 'string' && x.includes(v)));
          return hit;
        }
        case 'not in':
        case 'not contains':
          return !evalAst({ ...a, cmp: a.cmp === 'not in' ? 'in' : 'contains' }, obj);
        case 'matches':
        case 'not matches': {
          let re: RegExp;
          try {
            re = new RegExp(v);
          } catch (err) {
            throw invalid(`Failed to create boolean expression evaluator: invalid regular expression "${v}": ${(err as Error).message}`);
          }
          const hit = flat.some((x) => re.test(str(x)));
          return a.cmp === 'matches' ? hit : !hit;
        }
      }
      return false;
    }
  }
}

/** Compiles a filter expression; throws INVALID_ARGUMENT with bexpr-style messages. */
export function compileFilter(expression: string): (item: unknown) => boolean {
  const toks = tokenize(expression);
  if (toks.length === 0) return () => true;
  const ast = new Parser(toks).parse();
  return (item) => evalAst(ast, item);
}

function selectorsOf(a: Ast, out: string[][]): void {
  if (a.op === 'cmp') out.push(a.selector);
  else if (a.op === 'not') selectorsOf(a.expr, out);
  else {
    selectorsOf(a.left, out);
    selectorsOf(a.right, out);
  }
}

/** Every selector path an expression names (to validate them against a fixed set of fields). */
export function filterSelectors(expression: string): string[][] {
  const toks = tokenize(expression);
  if (toks.length === 0) return [];
  const out: string[][] = [];
  selectorsOf(new Parser(toks).parse(), out);
  return out;
}
