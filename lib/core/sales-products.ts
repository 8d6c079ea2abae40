import type { ProductId } from '#contracts/sales.ts';

/** A product of the demo catalogue: what sales.db starts with. */
export interface CatalogueProduct {
  id: ProductId;
  name: string;
  /** Starting price: the first bid must be at least this. */
  price: number;
  /** Two colours of the product's picture. */
  colours: readonly [string, string];
  /** A short label drawn on the picture. */
  glyph: string;
}

/**
 * The demo catalogue. One list for the build script (rows of sales.db) and for ws-bids (the
 * products that exist and their starting prices), so the two cannot disagree.
 */
export const CATALOGUE_PRODUCTS: readonly CatalogueProduct[] = [
  { id: 1, name: 'Vintage road bike', price: 120, colours: ['#0f766e', '#99f6e4'], glyph: 'BK' },
  { id: 2, name: 'Mechanical keyboard', price: 45, colours: ['#1e3a8a', '#93c5fd'], glyph: 'KB' },
  { id: 3, name: 'Espresso machine', price: 80, colours: ['#7c2d12', '#fdba74'], glyph: 'ES' },
  { id: 4, name: 'Film camera', price: 60, colours: ['#3f3f46', '#d4d4d8'], glyph: 'FC' },
  { id: 5, name: 'Record player', price: 95, colours: ['#581c87', '#d8b4fe'], glyph: 'RP' },
  { id: 6, name: 'Desk lamp', price: 15, colours: ['#a16207', '#fde047'], glyph: 'DL' },
  { id: 7, name: 'Hiking backpack', price: 35, colours: ['#166534', '#86efac'], glyph: 'HB' },
  { id: 8, name: 'Electric kettle', price: 20, colours: ['#9f1239', '#fda4af'], glyph: 'EK' },
  { id: 9, name: 'Noise-cancelling headphones', price: 110, colours: ['#0c4a6e', '#7dd3fc'], glyph: 'HP' },
  { id: 10, name: 'Cast-iron pan', price: 25, colours: ['#292524', '#a8a29e'], glyph: 'CP' },
  { id: 11, name: 'Board game collection', price: 40, colours: ['#9a3412', '#fed7aa'], glyph: 'BG' },
  { id: 12, name: 'Telescope', price: 150, colours: ['#312e81', '#a5b4fc'], glyph: 'TS' },
];

/** The catalogue product with `id`, or undefined. */
export function findProduct(id: ProductId): CatalogueProduct | undefined {
  return CATALOGUE_PRODUCTS.find((product) => product.id === id);
}

/** The product's picture: a small SVG as a `data:` URI (drawn here, so building needs no network). */
export function productImage(product: CatalogueProduct): string {
  const [dark, light] = product.colours;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120">` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">` +
    `<stop offset="0" stop-color="${light}"/><stop offset="1" stop-color="${dark}"/></linearGradient></defs>` +
    `<rect width="160" height="120" rx="12" fill="url(#g)"/>` +
    `<circle cx="124" cy="30" r="18" fill="#ffffff" opacity="0.35"/>` +
    `<text x="80" y="74" font-family="system-ui,sans-serif" font-size="34" font-weight="700" ` +
    `text-anchor="middle" fill="#ffffff">${product.glyph}</text></svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
