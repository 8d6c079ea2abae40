import { S3Client } from '@aws-sdk/client-s3';
import { S3CatalogueStore } from '#adapters/s3-catalogue-store.ts';
import { loadSqlJs } from '#adapters/sqljs-engine.ts';
import { buildCatalogue } from '#core/sales-catalogue.ts';
import type { AttachContext, LocalService, ServiceAttached } from './local-service.ts';

/**
 * Publishes the sales demo's catalogue when the platform starts: builds sales.db (the same builder
 * as scripts/build-sales-db.ts) and puts it where the template's functions read it (their
 * `SALES_BUCKET` / `SALES_CATALOGUE_KEY`), unless a catalogue is already there. Runs in phase 2,
 * after the fauxqs service has created the bucket and set the S3 endpoint.
 */
export function salesSeedService(): LocalService {
  let client: S3Client | undefined;
  let seeded: 'created' | 'kept' | 'none' = 'none';
  return {
    name: 'sales-seed',

    async start() {
      return {};
    },

    async attach({ template, log }: AttachContext): Promise<ServiceAttached | undefined> {
      const target = template.functions
        .map((fn) => fn.environment)
        .find((env) => env.SALES_BUCKET !== undefined && env.SALES_CATALOGUE_KEY !== undefined);
      if (!target?.SALES_BUCKET || !target.SALES_CATALOGUE_KEY) {
        log('sales-seed: no function reads SALES_BUCKET; no catalogue published');
        return undefined;
      }
      client = new S3Client({ region: template.region });
      const store = new S3CatalogueStore(client, target.SALES_BUCKET, target.SALES_CATALOGUE_KEY);
      const created = await store.createIfAbsent(buildCatalogue(await loadSqlJs(), Date.now()));
      seeded = created ? 'created' : 'kept';
      const location = `s3://${target.SALES_BUCKET}/${target.SALES_CATALOGUE_KEY}`;
      log(`sales-seed: ${created ? 'published' : 'kept the existing'} catalogue ${location}`);
      return { resources: { salesCatalogue: location } };
    },

    stats: () => ({ catalogue: seeded }),

    async stop() {
      client?.destroy();
    },
  };
}
