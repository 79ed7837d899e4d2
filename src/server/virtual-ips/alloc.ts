// Pure virtual-IP arithmetic (spec §1): offsets from 240.0.0.0, first VIP 240.0.0.1, freed offsets reused first.
import { IsthmusError } from '../../lib/errors.js';

/** 240.0.0.0 as a 32-bit number. */
const BASE = 240 * 2 ** 24;
/** The largest offset, 15.255.255.254. */
export const MAX_OFFSET = 15 * 2 ** 24 + 255 * 2 ** 16 + 255 * 2 ** 8 + 254;
export const VIP_EXHAUSTED = 'cannot allocate any more unique service virtual IPs';

export function vipFromOffset(offset: number): string {
  const n = BASE + offset;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The offset for a new allocation: the smallest freed one, else the counter incremented.
 * Throws RESOURCE_EXHAUSTED past MAX_OFFSET.
 */
export function nextOffset(counter: number, freed: Iterable<number>): { offset: number; counter: number; reused: boolean } {
  let min: number | undefined;
  for (const f of freed) if (min === undefined || f < min) min = f;
  if (min !== undefined) return { offset: min, counter, reused: true };
  const offset = counter + 1;
  if (offset > MAX_OFFSET) throw new IsthmusError('RESOURCE_EXHAUSTED', VIP_EXHAUSTED, { httpStatus: 500 });
  return { offset, counter: offset, reused: false };
}

/** Is `s` an IPv4 or IPv6 address literal? */
export function isIp(s: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255 && (o === '0' || !o.startsWith('0')));
  if (!s.includes(':')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}
