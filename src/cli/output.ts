// Rendering command results: JSON for machines, aligned columns for people.

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * Columns as Consul's columnize prints them: each padded to its widest cell plus two spaces, the last
 * unpadded, header first; the block as a whole is trimmed (a row with an empty last cell keeps its padding).
 */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n').trim();
}
