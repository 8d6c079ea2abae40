import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportJsonSchemas } from '../../scripts/export-json-schema.ts';

describe('exportJsonSchemas', () => {
  it('writes a JSON Schema per contract, the reading requiring its key and data', () => {
    const dir = `${mkdtempSync(join(tmpdir(), 'rtp-schemas-'))}/`;
    const files = exportJsonSchemas(dir);
    expect(files.length).toBeGreaterThan(10);
    const reading = JSON.parse(readFileSync(join(dir, 'Reading.schema.json'), 'utf8')) as {
      required: string[];
    };
    expect(reading.required.sort()).toEqual(['data', 'vehicleId']);
    const frame = JSON.parse(readFileSync(join(dir, 'ServerFrame.schema.json'), 'utf8')) as {
      oneOf?: unknown[];
      anyOf?: unknown[];
    };
    expect((frame.oneOf ?? frame.anyOf)?.length).toBeGreaterThanOrEqual(5);
  });
});
