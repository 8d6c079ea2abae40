/**
 * Writes a JSON Schema (draft 2020-12) of every boundary schema in contracts/ to contracts/json-schema/,
 * for clients written in other languages. Run: `npm run schemas`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as contracts from '#contracts/index.ts';
import * as z from '#contracts/zod.ts';

const outDir = fileURLToPath(new URL('../contracts/json-schema/', import.meta.url));

/** Every exported zod schema whose name ends in `Schema`, as `<Name>.schema.json`. */
export function exportJsonSchemas(dir = outDir): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, value] of Object.entries(contracts)) {
    if (!name.endsWith('Schema') || !(value instanceof z.core.$ZodType)) continue;
    // Transforms (e.g. numeric keys to text) describe the input a client sends.
    const schema = z.toJSONSchema(value, { io: 'input', unrepresentable: 'any' });
    const file = `${dir}${name.replace(/Schema$/, '')}.schema.json`;
    writeFileSync(file, `${JSON.stringify({ title: name.replace(/Schema$/, ''), ...schema }, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = exportJsonSchemas();
  console.log(`wrote ${files.length} JSON Schemas to ${outDir}`);
}
