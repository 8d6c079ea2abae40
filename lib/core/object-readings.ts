import { MAX_REJECTED_RAW_BYTES, type RejectedLine } from '#contracts/queue-message.ts';
import { PlatformError, ValidationError } from './errors.ts';
import { type NormalisedReading, type NormaliseOptions, normaliseReading } from './normalise-reading.ts';

export type ObjectFormat = 'json' | 'ndjson' | 'csv';

/** One line (NDJSON, CSV) or array element (JSON) of an object: a good reading or a bad line. */
type ObjectEntry = { line: number; reading: NormalisedReading } | { line: number; rejected: RejectedLine };

/** The readings of one object, read as they arrive. */
interface ObjectReadings {
  format: ObjectFormat;
  /** In the object's order; pulled one at a time, so memory holds one line, never the object. */
  entries: AsyncIterable<ObjectEntry>;
}

/**
 * Characters a line (or JSON element) may have: far above any reading that fits a 32 KB frame, and
 * low enough that one line without a newline cannot exhaust the function. Longer lines are rejected.
 */
export const MAX_LINE_CHARS = 256 * 1024;

/**
 * Reads an object of readings as a stream, keeping every good reading beside the bad ones:
 * - JSON: an array of readings or `{"readings":[…]}`, streamed element by element (`line` = element
 *   number, 1-based); any other JSON document is refused as line 1;
 * - NDJSON: one reading per line (blank lines skipped);
 * - CSV: a header row naming the key attribute, optional `ts` and `channel`, then data fields;
 *   numeric cells become numbers, `true`/`false` booleans, empty cells are left out.
 * Every reading is a reading or flat telemetry.
 * The format comes from the key's extension (`.json`, `.ndjson`/`.jsonl`, `.csv`), else the content.
 * @throws whatever `chunks` throws (a broken stream), when the entries are pulled.
 */
export async function readObjectReadings(
  chunks: AsyncIterable<Uint8Array | string>,
  key: string,
  options: NormaliseOptions,
): Promise<ObjectReadings> {
  const text = new TextStream(chunks);
  const head = await text.peek(256);
  const format = detectFormat(head, key);
  const entries =
    format === 'json'
      ? jsonEntries(text, options)
      : format === 'ndjson'
        ? ndjsonEntries(text, options)
        : csvEntries(text, options);
  return { format, entries };
}

function detectFormat(head: string, key: string): ObjectFormat {
  const lower = key.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  const start = head.trimStart();
  if (start.startsWith('[') || READINGS_PREFIX.test(start)) return 'json';
  if (start.startsWith('{')) return 'ndjson';
  return 'csv';
}

/** Turns a bad line into its reject entry; rethrows what is not the line's fault (retryable errors). */
function rejectOf(line: number, raw: string, error: unknown): ObjectEntry {
  if (!(error instanceof PlatformError) || error.retryable) throw error;
  return { line, rejected: rejectedLine(line, raw, error.code, error.message) };
}

function rejectedLine(line: number, raw: string, code: string, reason: string): RejectedLine {
  const bytes = Buffer.from(raw, 'utf8');
  // A copy, not a slice: a kept slice would hold the whole chunk it was cut from in memory.
  if (bytes.length <= MAX_REJECTED_RAW_BYTES) return { line, code, reason, raw: bytes.toString('utf8') };
  // Cut on a character boundary: the kept bytes stay valid UTF-8.
  const kept = new TextDecoder().decode(bytes.subarray(0, MAX_REJECTED_RAW_BYTES)).replace(/\uFFFD$/, '');
  return { line, code, reason, raw: kept, rawTruncated: true };
}

/** A line cut at {@link MAX_LINE_CHARS}: its first bytes are kept, marked as cut. */
function tooLong(line: number, raw: string): ObjectEntry {
  const reason = `line ${line}: is longer than ${MAX_LINE_CHARS} characters`;
  return { line, rejected: { ...rejectedLine(line, raw, 'LineTooLong', reason), rawTruncated: true } };
}

function readingOf(line: number, raw: string, read: () => unknown, options: NormaliseOptions): ObjectEntry {
  try {
    let value: unknown;
    try {
      value = read();
    } catch (error) {
      if (error instanceof PlatformError) error.message = `line ${line}: ${error.message}`;
      throw error;
    }
    // The line is the reading's position in the object: of two readings with one ts, the later line wins.
    return { line, reading: normaliseReading(value, options, `line ${line}`, line) };
  } catch (error) {
    return rejectOf(line, raw, error);
  }
}

async function* ndjsonEntries(text: TextStream, options: NormaliseOptions): AsyncGenerator<ObjectEntry> {
  for await (const { number, line, truncated } of text.lines()) {
    if (truncated) yield tooLong(number, line);
    else if (line.trim() !== '') yield readingOf(number, line, () => parseJson(line), options);
  }
}

async function* csvEntries(text: TextStream, options: NormaliseOptions): AsyncGenerator<ObjectEntry> {
  let header: string[] | undefined;
  for await (const { number, line, truncated } of text.lines()) {
    if (header === undefined) {
      header = truncated ? [] : safeCsvLine(line).map((name) => name.trim());
      if (!header.includes(options.keyAttribute)) {
        const reason = `header: must name the ${options.keyAttribute} column`;
        yield { line: number, rejected: rejectedLine(number, line, 'ValidationError', reason) };
        return;
      }
    } else if (truncated) yield tooLong(number, line);
    else if (line.trim() !== '') {
      const columns = header;
      yield readingOf(
        number,
        line,
        () => csvReading(columns, parseCsvLine(line), options.keyAttribute),
        options,
      );
    }
  }
}

/** `{"readings":[` at the start of a document: the array inside is streamed like a bare one. */
const READINGS_PREFIX = /^\{\s*"readings"\s*:\s*\[/;

async function* jsonEntries(text: TextStream, options: NormaliseOptions): AsyncGenerator<ObjectEntry> {
  const start = (await text.peek(256)).trimStart();
  const wrapped = READINGS_PREFIX.test(start);
  if (!start.startsWith('[') && !wrapped) {
    const reason = 'object: must be an array of readings or {"readings":[…]}';
    yield { line: 1, rejected: rejectedLine(1, start, 'ValidationError', reason) };
    return;
  }
  let number = 0;
  for await (const element of text.jsonArrayElements(wrapped)) {
    number = element.number;
    if (element.kind === 'element') {
      if (element.truncated) yield tooLong(number, element.text);
      else yield readingOf(number, element.text, () => parseJson(element.text), options);
    } else {
      const reason = `object: is not valid JSON (${element.reason})`;
      yield { line: number, rejected: rejectedLine(number, element.text, 'ValidationError', reason) };
      return;
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('is not valid JSON');
  }
}

function safeCsvLine(line: string): string[] {
  try {
    return parseCsvLine(line);
  } catch {
    return [];
  }
}

type ArrayPart =
  | { kind: 'element'; number: number; text: string; truncated: boolean }
  | { kind: 'broken'; number: number; text: string; reason: string };

/**
 * UTF-8 chunks as text, read once: a bounded look-ahead for format detection, then either lines or
 * the elements of a top-level JSON array. Holds at most one line (or element) plus one chunk.
 */
class TextStream {
  readonly #source: AsyncIterator<Uint8Array | string>;
  readonly #decoder = new TextDecoder('utf-8');
  #buffer = '';
  #ended = false;
  #first = true;

  constructor(chunks: AsyncIterable<Uint8Array | string>) {
    this.#source = chunks[Symbol.asyncIterator]();
  }

  /** At least `chars` characters of what is not consumed yet (fewer at the end of the object). */
  async peek(chars: number): Promise<string> {
    while (this.#buffer.length < chars && (await this.#pull()));
    return this.#buffer;
  }

  async #pull(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#source.next();
    if (next.done) {
      this.#ended = true;
      this.#buffer += this.#decoder.decode();
    } else {
      this.#buffer +=
        typeof next.value === 'string' ? next.value : this.#decoder.decode(next.value, { stream: true });
    }
    if (this.#first && this.#buffer.length > 0) {
      this.#first = false;
      if (this.#buffer.charCodeAt(0) === 0xfeff) this.#buffer = this.#buffer.slice(1);
    }
    return true;
  }

  /** Lines without their `\n` / `\r\n`; a line past {@link MAX_LINE_CHARS} comes cut, `truncated`. */
  async *lines(): AsyncGenerator<{ number: number; line: string; truncated: boolean }> {
    let number = 0;
    let skipping = false;
    let position = 0;
    // Where the search for the next newline resumes: a long line is scanned once, not once per chunk.
    let searched = 0;
    for (;;) {
      const newline = this.#buffer.indexOf('\n', Math.max(position, searched));
      if (newline === -1) {
        this.#buffer = this.#buffer.slice(position);
        position = 0;
        searched = this.#buffer.length;
        if (this.#buffer.length > MAX_LINE_CHARS && !skipping) {
          yield { number: ++number, line: this.#buffer.slice(0, MAX_REJECTED_RAW_BYTES), truncated: true };
          skipping = true;
        }
        if (skipping) {
          this.#buffer = '';
          searched = 0;
        }
        if (await this.#pull()) continue;
        if (!skipping && this.#buffer.length > 0)
          yield { number: ++number, line: this.#buffer, truncated: false };
        return;
      }
      const end = newline > position && this.#buffer.charCodeAt(newline - 1) === 0x0d ? newline - 1 : newline;
      const line = this.#buffer.slice(position, end);
      position = newline + 1;
      if (skipping) skipping = false;
      else if (line.length > MAX_LINE_CHARS) {
        yield { number: ++number, line: line.slice(0, MAX_REJECTED_RAW_BYTES), truncated: true };
      } else yield { number: ++number, line, truncated: false };
    }
  }

  /**
   * The elements of the JSON array the text starts with (after `{"readings":` when `wrapped`), each
   * as its original text. Strings and nesting are tracked so commas inside values never split.
   * A structural error (text after the array, the object ending inside it) is the last part.
   */
  async *jsonArrayElements(wrapped: boolean): AsyncGenerator<ArrayPart> {
    await this.peek(256);
    const opening = this.#buffer.match(wrapped ? /^\s*\{\s*"readings"\s*:\s*\[/ : /^\s*\[/);
    this.#buffer = this.#buffer.slice(opening?.[0].length ?? 0);
    let number = 0;
    let element = '';
    let truncated = false;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let closed = false;
    const take = (from: string) => {
      if (truncated) return;
      element += from;
      if (element.length > MAX_LINE_CHARS) {
        element = element.slice(0, MAX_REJECTED_RAW_BYTES);
        truncated = true;
      }
    };
    const finish = (): ArrayPart => {
      const part: ArrayPart = { kind: 'element', number: ++number, text: element.trim(), truncated };
      element = '';
      truncated = false;
      return part;
    };
    for (;;) {
      const chunk = this.#buffer;
      this.#buffer = '';
      let from = 0;
      for (let index = 0; index < chunk.length; index++) {
        const char = chunk.charCodeAt(index);
        if (closed) {
          if (isSpace(char)) continue;
          if (wrapped && char === 0x7d) {
            wrapped = false;
            continue;
          }
          const text = chunk.slice(index, index + 256);
          yield { kind: 'broken', number: number + 1, text, reason: 'text after the array' };
          return;
        }
        if (inString) {
          if (escaped) escaped = false;
          else if (char === 0x5c) escaped = true;
          else if (char === 0x22) inString = false;
        } else if (char === 0x22) inString = true;
        else if (char === 0x5b || char === 0x7b) depth++;
        else if ((char === 0x5d || char === 0x7d) && depth > 0) depth--;
        else if (depth === 0 && (char === 0x2c || char === 0x5d)) {
          take(chunk.slice(from, index));
          from = index + 1;
          if (char === 0x2c || element.trim() !== '' || number > 0) yield finish();
          else element = '';
          if (char === 0x5d) closed = true;
        }
      }
      if (!closed) take(chunk.slice(from));
      if (!(await this.#pull())) break;
    }
    if (!closed) {
      yield {
        kind: 'broken',
        number: number + 1,
        text: element.slice(0, 256),
        reason: 'the object ends inside the array',
      };
    } else if (wrapped) {
      yield { kind: 'broken', number: number + 1, text: '', reason: 'the object ends before its closing }' };
    }
  }
}

function isSpace(char: number): boolean {
  return char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09;
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
