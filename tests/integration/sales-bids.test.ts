import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3CatalogueStore } from '#adapters/s3-catalogue-store.ts';
import { loadSqlJs } from '#adapters/sqljs-engine.ts';
import { BidDataSchema, ProductRowSchema, type SalesUpdate } from '#contracts/sales.ts';
import type { ItemFrame, ServerFrame } from '#contracts/ws-protocol.ts';
import { StaleWriteError } from '#core/errors.ts';
import { writeSalesUpdates } from '#core/sales-catalogue.ts';
import type { Platform } from '#local/platform.ts';
import { awsClientsFor } from '../helpers/aws-clients.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
let clients: ReturnType<typeof awsClientsFor>;
const sockets: TestClient[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  clients = awsClientsFor(platform);
});

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  for (const client of Object.values(clients ?? {})) client.destroy();
  await platform?.stop();
});

async function bidder(productId: number, user?: string): Promise<TestClient> {
  const query = new URLSearchParams({ vehicleId: `product-${productId}`, ...(user ? { user } : {}) });
  const socket = await connectClient(`${platform.endpoints.websocket}/?${query}`);
  sockets.push(socket);
  return socket;
}

const isBid = (amount: number) => (frame: ServerFrame) =>
  frame.type === 'item' && frame.channel === 'bid' && frame.data.amount === amount;
const isError = (code: string) => (frame: ServerFrame) => frame.type === 'error' && frame.code === code;

/** The catalogue as the page gets it: GET /sales/catalogue, opened with sql.js. */
async function catalogueRow(productId: number) {
  const response = await fetch(`${platform.endpoints.http}/sales/catalogue`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/vnd.sqlite3');
  const sql = await loadSqlJs();
  const db = new sql.Database(new Uint8Array(await response.arrayBuffer()));
  try {
    const statement = db.prepare('SELECT * FROM products WHERE id = ?', [productId]);
    statement.step();
    const row = ProductRowSchema.parse(statement.getAsObject());
    statement.free();
    const count = db.exec('SELECT count(*) FROM products')[0]?.values[0]?.[0];
    return { row, count };
  } finally {
    db.close();
  }
}

function catalogueStore(): S3CatalogueStore {
  const [bucket, ...key] = (platform.resources.salesCatalogue ?? '').replace('s3://', '').split('/');
  return new S3CatalogueStore(clients.s3, bucket ?? '', key.join('/'));
}

describe('sales bids through the local platform', () => {
  it('publishes a catalogue of a dozen products with pictures and no bids', async () => {
    const { row, count } = await catalogueRow(1);
    expect(count).toBe(12);
    expect(row).toMatchObject({ id: 1, current_bid: null, top_bidder: null, bid_count: 0 });
    expect(row.image).toMatch(/^data:image\/svg\+xml/);
  });

  it('lets the higher bid win, refuses the lower with the current bid, and shows the winner to both pages', async () => {
    const ana = await bidder(2, 'ana');
    const ben = await bidder(2, 'ben');
    ana.send({ action: 'bid', productId: 2, amount: 60 });
    await ana.next((frame) => frame.type === 'ack' && frame.action === 'bid', "ana's ack");
    ben.send({ action: 'bid', productId: 2, amount: 55, bidder: 'ben' });
    const refused = await ben.next(isError('Conflict'), "ben's Conflict frame");
    expect(refused).toMatchObject({
      action: 'bid',
      message: 'bid too low: the current bid on Mechanical keyboard is 60 by ana',
    });

    for (const socket of [ana, ben]) {
      const frame = (await socket.next(isBid(60), 'the winning bid')) as ItemFrame;
      expect(frame.key).toBe('product-2');
      expect(BidDataSchema.parse(frame.data)).toMatchObject({ bidder: 'ana', amount: 60, productId: 2 });
    }
    expect(ben.frames.some(isBid(55))).toBe(false);
    expect([...ana.invalid, ...ben.invalid]).toEqual([]);
  });

  it('refuses bids on unknown products, below the starting price, without a user or as someone else', async () => {
    const ana = await bidder(3, 'ana');
    const anonymous = await bidder(3);
    ana.send({ action: 'bid', productId: 999, amount: 10 });
    await ana.next(isError('NotFound'), 'NotFound for an unknown product');
    ana.send({ action: 'bid', productId: 3, amount: 1 });
    const low = await ana.next(isError('ValidationError'), 'ValidationError below the price');
    expect(low).toMatchObject({ issues: [{ path: 'body.amount', message: 'must be at least 80' }] });
    ana.send({ action: 'bid', productId: 3, amount: 100, bidder: 'ben' });
    await ana.next(isError('Forbidden'), 'Forbidden when bidding as someone else');
    anonymous.send({ action: 'bid', productId: 3, amount: 100 });
    await anonymous.next(isError('Forbidden'), 'Forbidden without a user');
    ana.send({ action: 'bid', productId: 3, amount: 80.001 });
    await ana.next(
      (frame) => isError('ValidationError')(frame) && frame !== low,
      'ValidationError for sub-cent amounts',
    );
  });

  it('applies concurrent bids to sales.db with no lost update: highest bid, one count per accepted bid', async () => {
    const users = ['ana', 'ben', 'cy', 'dee', 'eve'];
    const sockets = await Promise.all(users.map((user) => bidder(4, user)));
    const amounts = [61, 62, 63, 64, 65, 66, 67, 68, 69, 70];
    // Racing bids in shuffled order: some lose to a higher one already stored.
    const order = [3, 7, 1, 9, 0, 5, 2, 8, 4, 6];
    for (const [index, which] of order.entries()) {
      const socket = sockets[index % sockets.length] as TestClient;
      socket.send({ action: 'bid', productId: 4, amount: amounts[which] });
    }
    const replies = () =>
      sockets.flatMap((socket) =>
        socket.frames.filter(
          (frame) => (frame.type === 'ack' && frame.action === 'bid') || isError('Conflict')(frame),
        ),
      );
    await waitFor(() => replies().length === amounts.length, 'a reply to every bid');
    const accepted = replies().filter((frame) => frame.type === 'ack').length;
    expect(accepted).toBeGreaterThanOrEqual(1);

    await waitFor(
      async () => (await catalogueRow(4)).row.bid_count === accepted,
      'sales.db to catch up',
      10_000,
    );
    const { row } = await catalogueRow(4);
    expect(row).toMatchObject({ current_bid: 70, bid_count: accepted });
    const winner = users[order.indexOf(9) % users.length];
    expect(row.top_bidder).toBe(winner);
  });

  it('retries conditional puts so concurrent writers of sales.db lose no update', async () => {
    const store = catalogueStore();
    const sql = await loadSqlJs();
    const update = (productId: number): SalesUpdate => ({
      productId,
      amount: 500,
      bidder: 'zed',
      bidCount: 1,
      placedAt: Date.now(),
    });
    // Five products written at once, each a whole-file read-modify-write of the same object.
    await Promise.all(
      [5, 6, 7, 8, 9].map((id) => writeSalesUpdates([update(id)], store, sql, { maxAttempts: 20 })),
    );
    for (const id of [5, 6, 7, 8, 9]) {
      expect((await catalogueRow(id)).row).toMatchObject({
        current_bid: 500,
        top_bidder: 'zed',
        bid_count: 1,
      });
    }
  });

  it('answers a put with a stale ETag with 412 PreconditionFailed, as S3 does', async () => {
    const store = catalogueStore();
    const current = await store.read();
    expect(current).toBeDefined();
    await expect(
      store.writeIfMatch(current?.bytes ?? new Uint8Array(), '"0123456789abcdef"'),
    ).rejects.toThrow(StaleWriteError);
    const [bucket, ...key] = (platform.resources.salesCatalogue ?? '').replace('s3://', '').split('/');
    const raw = clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key.join('/'), Body: 'x', IfMatch: '"stale"' }),
    );
    await expect(raw).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const after = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
    expect(after.ETag).toBe(current?.etag);
  });
});
