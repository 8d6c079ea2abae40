import { describe, expect, it } from 'vitest';
import { loadSqlJs } from '#adapters/sqljs-engine.ts';
import type { SalesUpdate } from '#contracts/sales.ts';
import { ClientMessageSchema } from '#contracts/ws-protocol.ts';
import { DependencyError, StaleWriteError } from '#core/errors.ts';
import {
  applySalesUpdates,
  buildCatalogue,
  type CatalogueObjectStore,
  parseSalesUpdates,
  writeSalesUpdates,
} from '#core/sales-catalogue.ts';
import { CATALOGUE_PRODUCTS } from '#core/sales-products.ts';

const sql = await loadSqlJs();
const update = (productId: number, bidCount: number, amount: number, bidder = 'ana'): SalesUpdate => ({
  productId,
  amount,
  bidder,
  bidCount,
  placedAt: 1_000 + bidCount,
});

function rowOf(bytes: Uint8Array, id: number) {
  const db = new sql.Database(bytes);
  const result = db.exec('SELECT current_bid, top_bidder, bid_count FROM products WHERE id = ?', [id]);
  db.close();
  return result[0]?.values[0];
}

/** An object store with S3's conditional put: the ETag changes on every write. */
function memoryStore(bytes: Uint8Array) {
  let version = 1;
  let current = bytes;
  let beforeWrite: (() => void) | undefined;
  const store: CatalogueObjectStore & { bytes(): Uint8Array; interfere(fn: () => void): void } = {
    read: async () => ({ bytes: current, etag: `"v${version}"` }),
    writeIfMatch: async (next, etag) => {
      const hook = beforeWrite;
      beforeWrite = undefined;
      hook?.();
      if (etag !== `"v${version}"`) throw new StaleWriteError('changed');
      current = next;
      version += 1;
    },
    bytes: () => current,
    interfere: (fn) => {
      beforeWrite = fn;
    },
  };
  return store;
}

describe('buildCatalogue', () => {
  it('holds every product with a data: URI picture and no bids', () => {
    const db = new sql.Database(buildCatalogue(sql, 42));
    const rows = db.exec('SELECT id, image, current_bid, bid_count, updated_at FROM products ORDER BY id')[0];
    db.close();
    expect(rows?.values.map((row) => row[0])).toEqual(CATALOGUE_PRODUCTS.map((product) => product.id));
    for (const row of rows?.values ?? []) {
      expect(String(row[1])).toMatch(/^data:image\/svg\+xml/);
      expect(row.slice(2)).toEqual([null, 0, 42]);
    }
  });
});

describe('applySalesUpdates', () => {
  it('moves a row only to a higher bid count, so duplicates and disorder change nothing', () => {
    const db = new sql.Database(buildCatalogue(sql, 0));
    expect(
      applySalesUpdates(db, [update(1, 2, 130, 'ben'), update(1, 1, 125), update(1, 2, 130, 'ben')]),
    ).toBe(1);
    expect(applySalesUpdates(db, [update(99, 1, 10)])).toBe(0);
    const bytes = db.export();
    db.close();
    expect(rowOf(bytes, 1)).toEqual([130, 'ben', 2]);
  });
});

describe('writeSalesUpdates', () => {
  it('re-reads and re-applies when another writer got in first, keeping both updates', async () => {
    const store = memoryStore(buildCatalogue(sql, 0));
    store.interfere(() => {
      const db = new sql.Database(store.bytes());
      applySalesUpdates(db, [update(2, 1, 50, 'ben')]);
      // The competing writer's put lands between this writer's read and put.
      void store.writeIfMatch(db.export(), '"v1"');
      db.close();
    });
    const result = await writeSalesUpdates([update(1, 1, 130)], store, sql, { backoffMs: () => 0 });
    expect(result).toEqual({ changed: 1, attempts: 2 });
    expect(rowOf(store.bytes(), 1)).toEqual([130, 'ana', 1]);
    expect(rowOf(store.bytes(), 2)).toEqual([50, 'ben', 1]);
  });

  it('writes nothing when nothing is new, and gives up (retryable) under endless contention', async () => {
    const store = memoryStore(buildCatalogue(sql, 0));
    await writeSalesUpdates([update(1, 1, 130)], store, sql);
    const before = store.bytes();
    expect(await writeSalesUpdates([update(1, 1, 130)], store, sql)).toEqual({ changed: 0, attempts: 1 });
    expect(store.bytes()).toBe(before);

    const busy: CatalogueObjectStore = {
      read: store.read,
      writeIfMatch: async () => {
        throw new StaleWriteError('changed');
      },
    };
    const failed = writeSalesUpdates([update(1, 2, 140)], busy, sql, { maxAttempts: 3, backoffMs: () => 0 });
    await expect(failed).rejects.toThrow(DependencyError);
  });
});

describe('parseSalesUpdates', () => {
  it('keeps good messages and rejects bad JSON and bad fields with their ids', () => {
    const { updates, rejected } = parseSalesUpdates([
      { id: 'a', body: JSON.stringify(update(1, 1, 130)) },
      { id: 'b', body: '{"productId":' },
      { id: 'c', body: JSON.stringify({ ...update(1, 1, 130), amount: -5 }) },
    ]);
    expect(updates.map((item) => item.id)).toEqual(['a']);
    expect(rejected.map((item) => [item.id, item.error.code])).toEqual([
      ['b', 'ValidationError'],
      ['c', 'ValidationError'],
    ]);
  });
});

describe('the bid action', () => {
  it('is part of the protocol, with no room for SQL or extra fields', () => {
    expect(ClientMessageSchema.safeParse({ action: 'bid', productId: 1, amount: 130 }).success).toBe(true);
    expect(
      ClientMessageSchema.safeParse({ action: 'bid', productId: 1, amount: 130, sql: 'DROP TABLE products' })
        .success,
    ).toBe(false);
    expect(ClientMessageSchema.safeParse({ action: 'bid', productId: '1; --', amount: 130 }).success).toBe(
      false,
    );
  });
});
