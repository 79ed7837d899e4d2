// Nesting-depth limits for untrusted JSON and HCL, checked without recursion before anything
// recursive (decoders, validators, JSON.stringify) touches the value (issue 10, class 1).

/** The deepest nesting of objects/arrays accepted in a request body or a peer-supplied document. */
export const MAX_NESTING_DEPTH = 100;

/** The message every decoder uses when the limit is passed (Go's encoding/json says "exceeded max depth"). */
export function depthMessage(limit = MAX_NESTING_DEPTH): string {
  return `exceeded max depth: nesting is limited to ${limit} levels`;
}

/**
 * True when brackets in `text` nest deeper than `limit`. One pass, no recursion; brackets inside
 * double-quoted strings (with backslash escapes) are not counted. For HCL, parentheses count too and
 * the scan may over-count inside comments or heredocs, which only matters past the limit.
 */
export function textNestingExceeds(text: string, limit = MAX_NESTING_DEPTH, syntax: 'json' | 'hcl' = 'json'): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b || (syntax === 'hcl' && c === 0x28)) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d || (syntax === 'hcl' && c === 0x29)) {
      if (depth > 0) depth--;
    }
  }
  return false;
}

/** True when a parsed value nests objects/arrays deeper than `limit` (iterative walk). */
export function valueNestingExceeds(value: unknown, limit = MAX_NESTING_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > limit) return true;
    for (const inner of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof inner === 'object' && inner !== null) stack.push([inner, d + 1]);
    }
  }
  return false;
}
