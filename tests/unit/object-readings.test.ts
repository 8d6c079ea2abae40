import { describe, expect, it } from 'vitest';
import { decodeEventKey, rejectReportKey } from '#core/ingest-object.ts';
import { parseCsvLine, parseObjectReadings } from '#core/object-readings.ts';
import { encodeEventKey } from '#local/event-sources/s3-notifications.ts';

const options = { keyAttribute: 'vehicleId', source: 's3', now: 1_700_000_000_000 };
const brief = (text: string, key: string) => {
  const result = parseObjectReadings(text, key, options);
  return {
    format: result.format,
    readings: result.readings.map((r) => ({ key: r.itemKey, channel: r.channel, ts: r.ts, data: r.data })),
    rejected: result.rejected,
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

describe('parseObjectReadings', () => {
  it('reads CSV: key, ts and channel columns, numbers and booleans parsed, empty cells left out', () => {
    const csv =
      'vehicleId,ts,channel,speed,moving,driver,fuel\r\n3,1000,engine,42.5,true,007,\n4,,,-1e3,false,Ann,5\n';
    expect(brief(csv, 'ingest/a.csv')).toEqual({
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

  it('keeps the good CSV lines and gives each bad one its line number and reason', () => {
    const csv = ['vehicleId,ts,speed', '1,10,5', ',11,5', '2,soon,5', '3,12,5,extra', '4,13,"x'].join('\n');
    const result = brief(csv, 'ingest/b.csv');
    expect(result.readings.map((r) => r.key)).toEqual(['1']);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4, 5, 6]);
    expect(result.rejected[0]?.reason).toBe('line 3.vehicleId: is required');
    expect(result.rejected[1]?.reason).toMatch(/^line 4\.ts:/);
    expect(result.rejected[2]?.reason).toBe('line 5: has 4 cells; the header has 3');
  });

  it('rejects a CSV whose header does not name the key column', () => {
    expect(brief('id,speed\n1,2', 'ingest/c.csv').rejected).toEqual([
      { line: 1, code: 'ValidationError', reason: 'header: must name the vehicleId column' },
    ]);
  });

  it('reads NDJSON line by line, skipping blank lines', () => {
    const text = `${JSON.stringify({ vehicleId: 1, ts: 1, data: {} })}\n\nnope\n${JSON.stringify({ data: {} })}`;
    const result = brief(text, 'ingest/d.ndjson');
    expect(result.readings.map((r) => r.key)).toEqual(['1']);
    expect(result.rejected).toEqual([
      { line: 3, code: 'ValidationError', reason: 'line 3: is not valid JSON' },
      { line: 4, code: 'ValidationError', reason: 'line 4.vehicleId: is required' },
    ]);
  });

  it('reads a JSON array or {"readings":[…]}, numbering elements from 1', () => {
    const array = brief(JSON.stringify([{ vehicleId: 1, data: {} }, { vehicleId: 2 }]), 'ingest/e.json');
    expect(array.readings.map((r) => r.key)).toEqual(['1']);
    expect(array.rejected.map((r) => r.line)).toEqual([2]);
    expect(
      brief(JSON.stringify({ readings: [{ vehicleId: 1, data: {} }] }), 'ingest/f.json').readings,
    ).toHaveLength(1);
    expect(brief('{"readings": 3}', 'ingest/g.json').rejected[0]?.reason).toMatch(/must be an array/);
    expect(brief('[1,', 'ingest/h.json').rejected).toEqual([
      { line: 1, code: 'ValidationError', reason: 'object: is not valid JSON' },
    ]);
  });

  it('detects the format from the content when the key has no known extension', () => {
    expect(brief('[]', 'ingest/x').format).toBe('json');
    expect(brief('{"vehicleId":1,"data":{}}\n{"vehicleId":2,"data":{}}', 'ingest/x').format).toBe('ndjson');
    expect(brief('vehicleId,speed\n1,2', 'ingest/x').format).toBe('csv');
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
