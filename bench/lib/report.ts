import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Prints rows as an aligned text table under a title. */
export function printTable(title: string, rows: ReadonlyArray<Record<string, string | number>>): void {
  console.log(`\n== ${title}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const text = (value: string | number | undefined) =>
    typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : (value ?? '');
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => text(row[column]).length)),
  );
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(columns.map((column) => text(row[column]))));
}

/** Writes `bench/results/<name>.json` (and `<name>.svg` when given). */
export function writeResult(name: string, json: unknown, svg?: string): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const written = [`${RESULTS_DIR}${name}.json`];
  writeFileSync(written[0]!, `${JSON.stringify(json, null, 2)}\n`);
  if (svg) {
    written.push(`${RESULTS_DIR}${name}.svg`);
    writeFileSync(written[1]!, svg);
  }
  return written;
}
