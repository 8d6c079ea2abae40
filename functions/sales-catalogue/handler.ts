import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { S3CatalogueStore, SQLITE_CONTENT_TYPE } from '#adapters/s3-catalogue-store.ts';
import * as z from '#contracts/zod.ts';
import { NotFoundError } from '#core/errors.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/** GET /sales/catalogue: the bytes of sales.db (SQLite) from S3, for the page's sql.js. */
const config = loadConfig(
  z.extend(BaseEnvSchema, {
    SALES_BUCKET: z.string().check(z.minLength(3)),
    SALES_CATALOGUE_KEY: z.string().check(z.minLength(1)),
  }),
);
const tools = powertoolsFor('sales-catalogue');
const catalogue = new S3CatalogueStore(new S3Client({}), config.SALES_BUCKET, config.SALES_CATALOGUE_KEY);

export const handler = httpHandler<APIGatewayProxyEventV2, APIGatewayProxyResultV2>(
  async () => {
    const object = await catalogue.read();
    if (object === undefined) throw new NotFoundError('the sales catalogue has not been published yet');
    return {
      statusCode: 200,
      headers: {
        'content-type': SQLITE_CONTENT_TYPE,
        etag: object.etag,
        // Bids change it all the time; the page asks again when it reloads.
        'cache-control': 'no-store',
      },
      body: Buffer.from(object.bytes).toString('base64'),
      isBase64Encoded: true,
    };
  },
  tools,
  { jsonBody: false },
);
