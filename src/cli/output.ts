// Rendering command results: JSON for machines, aligned columns for people.

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Left-aligned columns separated by two spaces, header first. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
