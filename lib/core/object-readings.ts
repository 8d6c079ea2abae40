import type { RejectedLine } from '#contracts/queue-message.ts';
import { PlatformError, ValidationError } from '#runtime/errors.ts';
import { type NormalisedReading, type NormaliseOptions, normaliseReading } from './normalise-reading.ts';

/** The readings of one object: the good ones, and a reason for each bad line. */
export interface ObjectReadings {
  format: ObjectFormat;
  readings: NormalisedReading[];
  rejected: RejectedLine[];
}

export type ObjectFormat = 'json' | 'ndjson' | 'csv';

/**
 * Parses an object of readings, keeping every good reading beside the bad ones:
 * - JSON: an array of readings or `{"readings":[…]}` (`line` = element number, 1-based);
 * every reading is a reading or flat telemetry, and its line is its position (the later line wins);
 * - NDJSON: one reading per line (blank lines skipped);
 * - CSV: a header row naming the key attribute, optional `ts` and `channel`, then data fields;
 *   numeric cells become numbers, `true`/`false` booleans, empty cells are left out.
 * The format comes from the key's extension (`.json`, `.ndjson`/`.jsonl`, `.csv`), else the content.
 */
export function parseObjectReadings(text: string, key: string, options: NormaliseOptions): ObjectReadings {
  const format = detectFormat(text, key);
  const readings: NormalisedReading[] = [];
  const rejected: RejectedLine[] = [];
  const take = (line: number, read: () => unknown) => {
    try {
      let raw: unknown;
      try {
        raw = read();
      } catch (error) {
        if (error instanceof PlatformError) error.message = `line ${line}: ${error.message}`;
        throw error;
      }
      readings.push(normaliseReading(raw, options, `line ${line}`, line));
    } catch (error) {
      if (!(error instanceof PlatformError) || error.retryable) throw error;
      rejected.push({ line, code: error.code, reason: error.message });
    }
  };
  if (format === 'json') {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      return { format, readings, rejected: [wholeObjectRejected('object: is not valid JSON')] };
    }
    const list = Array.isArray(document) ? document : (document as { readings?: unknown } | null)?.readings;
    if (!Array.isArray(list)) {
      return {
        format,
        readings,
        rejected: [wholeObjectRejected('object: must be an array of readings or {"readings":[…]}')],
      };
    }
    list.forEach((element, index) => {
      take(index + 1, () => element);
    });
  } else if (format === 'ndjson') {
    splitLines(text).forEach((line, index) => {
      if (line.trim() === '') return;
      take(index + 1, () => parseJsonLine(line));
    });
  } else {
    const lines = splitLines(text);
    const header = parseCsvLine(lines[0] ?? '').map((name) => name.trim());
    if (!header.includes(options.keyAttribute)) {
      return {
        format,
        readings,
        rejected: [wholeObjectRejected(`header: must name the ${options.keyAttribute} column`)],
      };
    }
    lines.slice(1).forEach((line, index) => {
      if (line.trim() === '') return;
      take(index + 2, () => csvReading(header, parseCsvLine(line), options.keyAttribute));
    });
  }
  return { format, readings, rejected };
}

/** The reject of an object that has no readable line at all (reported as line 1). */
function wholeObjectRejected(reason: string): RejectedLine {
  return { line: 1, code: new ValidationError(reason).code, reason };
}

function detectFormat(text: string, key: string): ObjectFormat {
  const lower = key.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  const start = text.trimStart();
  if (start.startsWith('[')) return 'json';
  if (start.startsWith('{')) {
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      return 'ndjson';
    }
  }
  return 'csv';
}

function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new ValidationError('is not valid JSON');
  }
}

/** A cell row → a raw reading: the key, `ts` and `channel` columns, every other column under `data`. */
function csvReading(header: readonly string[], cells: readonly string[], keyAttribute: string): unknown {
  if (cells.length > header.length)
    throw new ValidationError(`has ${cells.length} cells; the header has ${header.length}`);
  const reading: Record<string, unknown> = {};
  const data: Record<string, unknown> = {};
  header.forEach((name, index) => {
    const cell = cells[index]?.trim() ?? '';
    if (cell === '') return;
    if (name === keyAttribute || name === 'channel') reading[name] = cell;
    else if (name === 'ts') reading.ts = toNumberOrText(cell);
    else data[name] = toCellValue(cell);
  });
  reading.data = data;
  return reading;
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function toNumberOrText(cell: string): number | string {
  return NUMBER.test(cell) ? Number(cell) : cell;
}

function toCellValue(cell: string): number | string | boolean {
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  return toNumberOrText(cell);
}

/**
 * Splits one CSV line (RFC 4180 quoting: `"a,b"`, `""` for a quote). Records spanning lines are
 * not supported: readings are one line each.
 * @throws ValidationError for an unterminated quote.
 */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  if (quoted) throw new ValidationError('has an unterminated quote');
  cells.push(cell);
  return cells;
}
