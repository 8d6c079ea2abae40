import { describe, expect, it } from 'vitest';
import { decodeEventKey, rejectReportKey } from '#core/ingest-object.ts';
import { MAX_LINE_CHARS, parseCsvLine, readObjectReadings } from '#core/object-readings.ts';
import { encodeEventKey } from '#local/event-sources/s3-notifications.ts';

const options = { keyAttribute: 'vehicleId', source: 's3', now: 1_700_000_000_000 };
/** The object as the S3 body would arrive: small chunks, cut anywhere (inside lines and characters). */
async function* chunksOf(text: string, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const brief = async (text: string, key: string, chunkSize = 7) => {
  const result = await readObjectReadings(chunksOf(text, chunkSize), key, options);
  const readings = [];
  const rejected = [];
  for await (const entry of result.entries) {
    if ('reading' in entry) readings.push(entry.reading);
    else rejected.push(entry.rejected);
  }
  return {
    format: result.format,
    readings: readings.map((r) => ({ key: r.itemKey, channel: r.channel, ts: r.ts, data: r.data })),
    rejected: rejected.map(({ line, reason }) => ({ line, reason })),
    raw: rejected,
  };
};

describe('parseCsvLine', () => {
  it('splits cells, honouring quotes and doubled quotes', () => {
    expect(parseCsvLine('a,"b, c","say ""hi""",,d')).toEqual(['a', 'b, c', 'say "hi"', '', 'd']);
  });

  it('refuses an unterminated quote', () => {
    expect(() => parseCsvLine('a,"b')).toThrow('unterminated quote');
  });
});

describe('readObjectReadings', async () => {
  it('reads CSV: key, ts and channel columns, numbers and booleans parsed, empty cells left out', async () => {
    const csv =
      'vehicleId,ts,channel,speed,moving,driver,fuel\r\n3,1000,engine,42.5,true,007,\n4,,,-1e3,false,Ann,5\n';
    expect(await brief(csv, 'ingest/a.csv')).toMatchObject({
      format: 'csv',
      readings: [
        { key: '3', channel: 'engine', ts: 1000, data: { speed: 42.5, moving: true, driver: '007' } },
        {
          key: '4',
          channel: 'telemetry',
          ts: options.now,
          data: { speed: -1000, moving: false, driver: 'Ann', fuel: 5 },
        },
      ],
      rejected: [],
    });
  });

  it('keeps the good CSV lines and gives each bad one its line number and reason', async () => {
    const csv = ['vehicleId,ts,speed', '1,10,5', ',11,5', '2,soon,5', '3,12,5,extra', '4,13,"x'].join('\n');
    const result = await brief(csv, 'ingest/b.csv');
    expect(result.readings.map((r) => r.key)).toEqual(['1']);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4, 5, 6]);
    expect(result.rejected[0]?.reason).toBe('line 3.vehicleId: is required');
    expect(result.rejected[1]?.reason).toMatch(/^line 4\.ts:/);
    expect(result.rejected[2]?.reason).toBe('line 5: has 4 cells; the header has 3');
  });

  it('rejects a CSV whose header does not name the key column', async () => {
    expect((await brief('id,speed\n1,2', 'ingest/c.csv')).rejected).toEqual([
      { line: 1, reason: 'header: must name the vehicleId column' },
    ]);
  });

  it('reads NDJSON line by line, skipping blank lines', async () => {
    const text = `${JSON.stringify({ vehicleId: 1, ts: 1, data: {} })}\n\nnope\n${JSON.stringify({ data: {} })}`;
    const result = await brief(text, 'ingest/d.ndjson');
    expect(result.readings.map((r) => r.key)).toEqual(['1']);
    expect(result.rejected).toEqual([
      { line: 3, reason: 'line 3: is not valid JSON' },
      { line: 4, reason: 'line 4.vehicleId: is required' },
    ]);
  });

  it('reads a JSON array or {"readings":[…]}, numbering elements from 1', async () => {
    const array = await brief(
      JSON.stringify([{ vehicleId: 1, data: {} }, { vehicleId: 2 }]),
      'ingest/e.json',
    );
    expect(array.readings.map((r) => r.key)).toEqual(['1']);
    expect(array.rejected.map((r) => r.line)).toEqual([2]);
    expect(
      (await brief(JSON.stringify({ readings: [{ vehicleId: 1, data: {} }] }), 'ingest/f.json')).readings,
    ).toHaveLength(1);
    expect((await brief('{"readings": 3}', 'ingest/g.json')).rejected[0]?.reason).toMatch(/must be an array/);
    expect((await brief('[{"vehicleId":1,"data":{}},', 'ingest/h.json')).rejected).toEqual([
      { line: 2, reason: 'object: is not valid JSON (the object ends inside the array)' },
    ]);
  });

  it('detects the format from the content when the key has no known extension', async () => {
    expect((await brief('[]', 'ingest/x')).format).toBe('json');
    expect((await brief('{"vehicleId":1,"data":{}}\n{"vehicleId":2,"data":{}}', 'ingest/x')).format).toBe(
      'ndjson',
    );
    expect((await brief('vehicleId,speed\n1,2', 'ingest/x')).format).toBe('csv');
  });

  it('streams a JSON array element by element: commas and brackets inside values never split', async () => {
    const elements = [
      { vehicleId: 'a', data: { note: 'x, [y] {z} "q"' } },
      { vehicleId: 'b', data: { nested: { list: [1, [2, 3]] } } },
      'not a reading',
    ];
    const text = `  ${JSON.stringify(elements, null, 2)}  `;
    const result = await brief(text, 'ingest/i.json');
    expect(result.readings.map((r) => r.key)).toEqual(['a', 'b']);
    expect(result.readings[0]?.data).toEqual({ note: 'x, [y] {z} "q"' });
    expect(result.raw).toMatchObject([{ line: 3, code: 'ValidationError', raw: '"not a reading"' }]);
    const wrapped = await brief(`{ "readings" : ${JSON.stringify(elements.slice(0, 2))} }`, 'ingest/j');
    expect(wrapped).toMatchObject({ format: 'json', rejected: [] });
    expect(wrapped.readings).toHaveLength(2);
    expect((await brief('[{"vehicleId":1,"data":{}}] x', 'ingest/k.json')).rejected).toEqual([
      { line: 2, reason: 'object: is not valid JSON (text after the array)' },
    ]);
  });

  it('keeps the original text of every bad line, and rejects a line too long to be a reading', async () => {
    const long = `{"vehicleId":"1","data":{"pad":"${'x'.repeat(MAX_LINE_CHARS)}"}}`;
    const text = ['{"vehicleId":"1","data":{"ok":1}}', 'nope, ü', long, '{"vehicleId":"2","data":{}}'].join(
      '\r\n',
    );
    const result = await brief(text, 'ingest/l.ndjson', 4096);
    expect(result.readings.map((r) => r.key)).toEqual(['1', '2']);
    expect(result.raw).toEqual([
      { line: 2, code: 'ValidationError', reason: 'line 2: is not valid JSON', raw: 'nope, ü' },
      {
        line: 3,
        code: 'LineTooLong',
        reason: `line 3: is longer than ${MAX_LINE_CHARS} characters`,
        raw: long.slice(0, 8192),
        rawTruncated: true,
      },
    ]);
  });
});

describe('S3 event keys', () => {
  it('round-trip through the event encoding (spaces as +, slashes kept)', () => {
    const key = 'ingest/fleet 1+2=3/ü.csv';
    const encoded = encodeEventKey(key);
    expect(encoded).toBe('ingest/fleet+1%2B2%3D3/%C3%BC.csv');
    expect(decodeEventKey(encoded)).toBe(key);
  });

  it('names the reject report after the object', () => {
    expect(rejectReportKey('ingest/a.csv')).toBe('rejected/ingest/a.csv.json');
  });
});
