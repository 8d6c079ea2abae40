import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATE } from '#local/platform.ts';
import { loadTemplate } from '#local/template/load-template.ts';

const envJson = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../env.json', import.meta.url)), 'utf8'),
) as Record<string, Record<string, string>>;
const functions = loadTemplate(DEFAULT_TEMPLATE).functions;

describe('env.json (sam local invoke --env-vars)', () => {
  it('names every function of the template, and nothing else', () => {
    expect(Object.keys(envJson).sort()).toEqual(functions.map((fn) => fn.logicalId).sort());
  });

  it.each(functions.map((fn) => [fn.logicalId, fn] as const))(
    "%s: sets every variable its template environment declares, besides the SDK's endpoints",
    (logicalId, fn) => {
      const variables = Object.keys(envJson[logicalId] ?? {});
      expect(variables).toEqual(expect.arrayContaining(Object.keys(fn.environment)));
      const extra = variables.filter((name) => !(name in fn.environment));
      expect(extra.filter((name) => !name.startsWith('AWS_ENDPOINT_URL_'))).toEqual([]);
    },
  );
});
