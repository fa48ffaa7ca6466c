// Aligned columns for human (text) output.

/** Pad columns for aligned human output. */
export function alignColumns(rows: readonly (readonly string[])[], sep = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join(sep)
      .trimEnd(),
  );
}
