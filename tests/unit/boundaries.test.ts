import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer boundaries live in biome.json (noRestrictedImports per folder). The tree being clean
 * proves the rules let good imports through; these probes prove each rule still refuses a crossing
 * import, so loosening a pattern fails here and not silently.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

const probes: Record<string, { refused: string[]; allowed: string[] }> = {
  'contracts/probe.ts': {
    refused: [
      '#core/errors.ts',
      '#runtime/config.ts',
      '#adapters/s3-object-store.ts',
      '#local/cli/rtp.ts',
      '@aws-sdk/client-s3',
      '@aws-lambda-powertools/logger',
      '@middy/core',
      '../lib/core/errors.ts',
      'node:fs',
      'zod',
    ],
    allowed: ['./item-key.ts', 'zod/mini', 'zod/v4/locales/en.js'],
  },
  'lib/core/probe.ts': {
    refused: [
      '#runtime/config.ts',
      '#adapters/dynamo-item-store.ts',
      '#local/cli/rtp.ts',
      '@aws-sdk/lib-dynamodb',
      '@aws-lambda-powertools/metrics',
      '@middy/core',
      '../runtime/config.ts',
      '../adapters/s3-object-store.ts',
      '../../local/cli/rtp.ts',
      'aws-lambda',
      'sql.js',
      'node:crypto',
      'zod',
      'zod/mini',
    ],
    allowed: ['#contracts/reading.ts', '#contracts/zod.ts', '#core/issues.ts', './errors.ts'],
  },
  'lib/adapters/probe.ts': {
    refused: [
      '#runtime/config.ts',
      '#local/cli/rtp.ts',
      '@aws-lambda-powertools/logger',
      '@middy/core',
      '../runtime/config.ts',
      '../../functions/ws-connect/handler.ts',
      '../../local/cli/rtp.ts',
    ],
    allowed: ['@aws-sdk/client-s3', '#core/errors.ts', '#contracts/reading.ts', './dynamo-errors.ts'],
  },
  'lib/runtime/probe.ts': {
    refused: [
      '#local/cli/rtp.ts',
      '../../local/cli/rtp.ts',
      '../../functions/ws-connect/handler.ts',
      '../../ingestors/rest-readings/handler.ts',
    ],
    allowed: ['#core/errors.ts', '#adapters/s3-object-store.ts', '@middy/core', './config.ts'],
  },
  'functions/probe-fn/handler.ts': {
    refused: [
      '#local/cli/rtp.ts',
      '../../local/cli/rtp.ts',
      '../../ingestors/rest-readings/handler.ts',
      '../ws-connect/handler.ts',
    ],
    allowed: ['#core/errors.ts', '#runtime/config.ts', '#adapters/s3-object-store.ts', '@aws-sdk/client-s3'],
  },
  'ingestors/probe-source/handler.ts': {
    refused: ['#local/cli/rtp.ts', '../../functions/ws-actions/handler.ts', '../rest-readings/handler.ts'],
    allowed: ['#core/errors.ts', './steps.ts'],
  },
  'web/src/probe.ts': {
    refused: [
      '#core/errors.ts',
      '#adapters/s3-object-store.ts',
      '#runtime/config.ts',
      '#local/cli/rtp.ts',
      '@aws-sdk/client-s3',
      '@aws-lambda-powertools/logger',
      '@middy/core',
      '../../lib/core/errors.ts',
      '../../contracts/reading.ts',
      '../../local/cli/rtp.ts',
      '../../functions/ws-connect/handler.ts',
      '../../ingestors/rest-readings/handler.ts',
    ],
    allowed: ['#contracts/reading.ts', './dom.ts', 'zod', 'leaflet'],
  },
  'web/src/pages/probe.ts': {
    refused: ['../../../lib/core/errors.ts'],
    allowed: ['../dom.ts'],
  },
};

interface Diagnostic {
  category: string;
  location: { path: string; start: { line: number } };
}

let dir: string;
let refusedByFile: Map<string, Set<string>>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtp-boundaries-'));
  copyFileSync(join(root, 'biome.json'), join(dir, 'biome.json'));
  const lines = new Map<string, string[]>();
  for (const [file, { refused, allowed }] of Object.entries(probes)) {
    const specifiers = [...refused, ...allowed];
    lines.set(file, specifiers);
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), specifiers.map((specifier) => `import '${specifier}';\n`).join(''));
  }
  const run = spawnSync(
    join(root, 'node_modules/.bin/biome'),
    [
      'lint',
      '--vcs-enabled=false',
      '--only=style/noRestrictedImports',
      '--max-diagnostics=none',
      '--reporter=json',
      '.',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  refusedByFile = new Map();
  for (const diagnostic of report.diagnostics) {
    if (diagnostic.category !== 'lint/style/noRestrictedImports') continue;
    const { path, start } = diagnostic.location;
    const specifier = lines.get(path)?.[start.line - 1];
    if (specifier === undefined) throw new Error(`diagnostic outside the probes: ${path}:${start.line}`);
    refusedByFile.set(path, (refusedByFile.get(path) ?? new Set()).add(specifier));
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('layer boundaries in biome.json', () => {
  it.each(Object.entries(probes))(
    '%s refuses the imports that cross its boundary, and only those',
    (file, probe) => {
      expect([...(refusedByFile.get(file) ?? [])].sort()).toEqual([...probe.refused].sort());
    },
  );
});

/** The AWS service an SDK package speaks to: client-dynamodb, lib-dynamodb and util-dynamodb are one. */
function awsService(specifier: string): string {
  return specifier.replace(/^@aws-sdk\/(client|lib|util)-/, '');
}

describe('lib/adapters', () => {
  // A count per file, which an import pattern cannot express, so it is read from the text.
  it('wraps one AWS service per file', () => {
    const services = readdirSync(join(root, 'lib/adapters'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => {
        const text = readFileSync(join(root, 'lib/adapters', file), 'utf8');
        const sdk = [...text.matchAll(/from '(@aws-sdk\/[^']+)'/g)].map((match) => awsService(match[1]!));
        return { file, services: [...new Set(sdk)] };
      });
    expect(services.filter((entry) => entry.services.length > 1)).toEqual([]);
    expect(services.some((entry) => entry.services.length === 1)).toBe(true);
  });
});
