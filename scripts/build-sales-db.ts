/**
 * Builds the sales demo's catalogue, sales.db (SQLite, with sql.js): a dozen products with a
 * picture each (an SVG `data:` URI), no bids yet.
 *
 *   npx tsx scripts/build-sales-db.ts [--out .local/sales.db] [--bucket <SalesBucketName> [--key sales/sales.db]]
 *
 * With `--bucket` it also puts the file in S3 unless a catalogue is already there (AWS: after
 * `sam deploy`, with the stack's `SalesBucketName` output). `npm start` publishes it by itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { S3CatalogueStore } from '#adapters/s3-catalogue-store.ts';
import { loadSqlJs } from '#adapters/sqljs-engine.ts';
import { buildCatalogue } from '#core/sales-catalogue.ts';
import { CATALOGUE_PRODUCTS } from '#core/sales-products.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '.local/sales.db' },
    bucket: { type: 'string' },
    key: { type: 'string', default: 'sales/sales.db' },
  },
});

const bytes = buildCatalogue(await loadSqlJs(), Date.now());
const out = resolve(values.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bytes);
console.log(`${out}: ${CATALOGUE_PRODUCTS.length} products, ${bytes.byteLength} bytes`);

if (values.bucket) {
  const client = new S3Client({});
  const created = await new S3CatalogueStore(client, values.bucket, values.key).createIfAbsent(bytes);
  console.log(`s3://${values.bucket}/${values.key}: ${created ? 'published' : 'already there, kept'}`);
  client.destroy();
}
