// HCL → JSON through a real HCL parser (HashiCorp's, compiled to WebAssembly in @cdktf/hcl2json).
import { parse } from '@cdktf/hcl2json';
import { invalid } from './errors.js';

/** Parses HCL text; blocks come back as lists of objects (callers unwrap one-element lists). */
export async function parseHcl(text: string, filename = 'input.hcl'): Promise<Record<string, unknown>> {
  try {
    return (await parse(filename, text)) as Record<string, unknown>;
  } catch (err) {
    const msg = String((err as Error).message ?? err).replace(/^parse config: /, '').replace(/^\[|\]$/g, '');
    throw invalid(msg);
  }
}

/** Parses text that may be JSON or HCL (JSON first: every JSON object is also valid HCL-JSON). */
export async function parseJsonOrHcl(text: string, filename?: string): Promise<Record<string, unknown>> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      // fall through: HCL also starts objects with braces in some styles
    }
  }
  return parseHcl(text, filename);
}
