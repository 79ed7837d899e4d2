// HCL → JSON through a real HCL parser (HashiCorp's, compiled to WebAssembly in @cdktf/hcl2json).
import { parse } from '@cdktf/hcl2json';
import { invalid } from './errors.js';
import { parseJsonText } from './json-decode.js';
import { depthMessage, MAX_NESTING_DEPTH, textNestingExceeds, valueNestingExceeds } from './nesting.js';

/** Parses HCL text; blocks come back as lists of objects (callers unwrap one-element lists). Nesting is bounded. */
export async function parseHcl(text: string, filename = 'input.hcl'): Promise<Record<string, unknown>> {
  // The parser recurses per level: refuse deep documents before it runs out of stack.
  if (textNestingExceeds(text, MAX_NESTING_DEPTH, 'hcl')) throw invalid(depthMessage());
  let doc: Record<string, unknown>;
  try {
    doc = (await parse(filename, text)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof RangeError) throw invalid(depthMessage());
    const msg = String((err as Error).message ?? err).replace(/^parse config: /, '').replace(/^\[|\]$/g, '');
    throw invalid(msg);
  }
  if (valueNestingExceeds(doc)) throw invalid(depthMessage());
  return doc;
}

/** Parses text that may be JSON or HCL (JSON first: every JSON object is also valid HCL-JSON). */
export async function parseJsonOrHcl(text: string, filename?: string): Promise<Record<string, unknown>> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = parseJsonText(trimmed);
    } catch (err) {
      if ((err as Error).message === depthMessage()) throw invalid(depthMessage());
      value = undefined; // fall through: HCL also starts objects with braces in some styles
    }
    if (value !== undefined) return value as Record<string, unknown>;
  }
  return parseHcl(text, filename);
}
