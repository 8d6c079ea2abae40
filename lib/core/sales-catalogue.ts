import { type SalesUpdate, SalesUpdateSchema } from '#contracts/sales.ts';
import { DependencyError, StaleWriteError, ValidationError } from './errors.ts';
import { parseJsonWith } from './issues.ts';
import { CATALOGUE_PRODUCTS, type CatalogueProduct, productImage } from './sales-products.ts';

/**
 * The SQLite engine the catalogue is built and updated with (sql.js's `SqlJsStatic` fits it): only
 * what the core calls, so the core names no engine and the adapter (sqljs-engine.ts) loads one.
 */
interface SqlEngine {
  Database: new (data?: Uint8Array) => SqlDatabase;
}

/** An open SQLite database of an {@link SqlEngine}. */
interface SqlDatabase {
  run(sql: string): unknown;
  prepare(sql: string): SqlStatement;
  /** Rows changed by the last statement run. */
  getRowsModified(): number;
  export(): Uint8Array;
  close(): void;
}

/** A prepared statement of a {@link SqlDatabase}. */
interface SqlStatement {
  run(params: Array<number | string | null>): unknown;
  free(): unknown;
}

/** sales.db in its object store, read and written whole with its ETag. */
export interface CatalogueObjectStore {
  /** The database bytes and their ETag; undefined when there is no catalogue yet. */
  read(): Promise<{ bytes: Uint8Array; etag: string } | undefined>;
  /**
   * Replaces the database only if it still has `etag` (S3 `If-Match`).
   * @throws StaleWriteError when someone wrote it meanwhile (S3 answered 412 PreconditionFailed).
   */
  writeIfMatch(bytes: Uint8Array, etag: string): Promise<void>;
}

const SCHEMA = `CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  price REAL NOT NULL,
  image TEXT NOT NULL,
  current_bid REAL,
  top_bidder TEXT,
  bid_count INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
)`;

/** Builds a fresh sales.db with `products` (no bids yet). */
export function buildCatalogue(
  sql: SqlEngine,
  now: number,
  products: readonly CatalogueProduct[] = CATALOGUE_PRODUCTS,
): Uint8Array {
  const db = new sql.Database();
  try {
    db.run(SCHEMA);
    const insert = db.prepare(
      'INSERT INTO products (id, name, price, image, current_bid, top_bidder, bid_count, updated_at) ' +
        'VALUES (?, ?, ?, ?, NULL, NULL, 0, ?)',
    );
    for (const product of products) {
      insert.run([product.id, product.name, product.price, productImage(product), now]);
    }
    insert.free();
    return db.export();
  } finally {
    db.close();
  }
}

/**
 * Applies bid updates to a database: a row moves only to a higher `bid_count`, so duplicates,
 * redeliveries and disorder change nothing. Updates of products not in the database are skipped.
 * @returns how many rows changed.
 */
export function applySalesUpdates(db: SqlDatabase, updates: readonly SalesUpdate[]): number {
  const update = db.prepare(
    'UPDATE products SET current_bid = ?, top_bidder = ?, bid_count = ?, updated_at = ? ' +
      'WHERE id = ? AND bid_count < ?',
  );
  let changed = 0;
  try {
    for (const item of updates) {
      update.run([item.amount, item.bidder, item.bidCount, item.placedAt, item.productId, item.bidCount]);
      changed += db.getRowsModified();
    }
  } finally {
    update.free();
  }
  return changed;
}

interface CatalogueWriteResult {
  /** Rows changed by the write that stood (0: nothing new, nothing written). */
  changed: number;
  /** Read-apply-put rounds it took (1 without contention). */
  attempts: number;
}

/**
 * Applies `updates` to the catalogue in its store: read, apply, conditional put; when another writer
 * got in between (ETag changed), read again and re-apply, so concurrent writers lose no update.
 * @throws DependencyError (retryable) when there is no catalogue or contention outlasts `maxAttempts`.
 */
export async function writeSalesUpdates(
  updates: readonly SalesUpdate[],
  store: CatalogueObjectStore,
  sql: SqlEngine,
  options: { maxAttempts?: number; backoffMs?: (attempt: number) => number } = {},
): Promise<CatalogueWriteResult> {
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? ((attempt) => Math.random() * 20 * 2 ** Math.min(attempt, 5));
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const current = await store.read();
    if (current === undefined) throw new DependencyError('the sales catalogue does not exist yet');
    const db = new sql.Database(current.bytes);
    let bytes: Uint8Array;
    let changed: number;
    try {
      changed = applySalesUpdates(db, updates);
      if (changed === 0) return { changed, attempts: attempt };
      bytes = db.export();
    } finally {
      db.close();
    }
    try {
      await store.writeIfMatch(bytes, current.etag);
      return { changed, attempts: attempt };
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    }
  }
  throw new DependencyError(`the sales catalogue kept changing: gave up after ${maxAttempts} attempts`);
}

/**
 * Splits queue messages into valid sales updates and rejects (bad JSON or fields: they can never
 * apply), keeping each message's id.
 */
export function parseSalesUpdates(messages: ReadonlyArray<{ id: string; body: string }>): {
  updates: Array<{ id: string; update: SalesUpdate }>;
  rejected: Array<{ id: string; body: string; error: ValidationError }>;
} {
  const updates: Array<{ id: string; update: SalesUpdate }> = [];
  const rejected: Array<{ id: string; body: string; error: ValidationError }> = [];
  for (const message of messages) {
    try {
      updates.push({ id: message.id, update: parseJsonWith(SalesUpdateSchema, message.body, 'body') });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      rejected.push({ id: message.id, body: message.body, error });
    }
  }
  return { updates, rejected };
}
