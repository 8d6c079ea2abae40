import '../zod-config.ts';
import initSqlJs from 'sql.js';
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url';
import { type ProductRow, ProductRowSchema } from '#contracts/sales.ts';

/** Asks the worker to (re)load the catalogue from `url` (GET /sales/catalogue). */
export interface LoadCatalogue {
  type: 'load';
  url: string;
}

/** What the worker answers. */
export type CatalogueReply =
  | { type: 'products'; products: ProductRow[]; etag: string | null; bytes: number }
  | { type: 'error'; message: string };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LoadCatalogue>) => void) | null;
  postMessage(message: CatalogueReply): void;
};

/** sql.js runs here, off the page's main thread; its wasm is a Vite asset (hashed, same origin). */
const engine = initSqlJs({ locateFile: () => wasmUrl });

scope.onmessage = async (event) => {
  try {
    const response = await fetch(event.data.url, { cache: 'no-store' });
    if (!response.ok) throw new Error(`GET ${event.data.url} answered ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const sql = await engine;
    const db = new sql.Database(bytes);
    try {
      const statement = db.prepare(
        'SELECT id, name, price, image, current_bid, top_bidder, bid_count, updated_at FROM products ORDER BY id',
      );
      const products: ProductRow[] = [];
      while (statement.step()) products.push(ProductRowSchema.parse(statement.getAsObject()));
      statement.free();
      scope.postMessage({
        type: 'products',
        products,
        etag: response.headers.get('etag'),
        bytes: bytes.length,
      });
    } finally {
      db.close();
    }
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message });
  }
};
