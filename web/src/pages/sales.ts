import { BID_CHANNEL } from '#contracts/app-keys.ts';
import { BidDataSchema, type ProductRow, productKey } from '#contracts/sales.ts';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import { alertList } from '../alerts.ts';
import { h } from '../dom.ts';
import { pageConnection } from '../page-connection.ts';
import type { PlatformInfo } from '../platform.ts';
import type { CatalogueReply, LoadCatalogue } from '../sales/catalogue.worker.ts';
import { mountUserPage, type UserPageOptions, type UserSession, whoAmI } from '../user-page.ts';
import { connectionBadge } from './connection-badge.ts';

/** Where "change" of the user name goes, and the name picker's texts. */
const USER_PAGE: UserPageOptions = {
  route: '#/sales',
  pageClass: 'sales',
  heading: 'Join the auction',
  hint: 'Pick a name. Your bids carry it; the server checks every bid against the current one.',
};

interface ProductCard {
  product: ProductRow;
  /** Highest accepted bid seen (catalogue or live), and how many bids were accepted then. */
  amount: number | null;
  bidder: string | null;
  bidCount: number;
  element: HTMLElement;
  current: HTMLElement;
  meta: HTMLElement;
  input: HTMLInputElement;
  note: HTMLElement;
}

/**
 * The live auction: the catalogue (sales.db, SQLite) is loaded from the platform and read with
 * sql.js in a Web Worker; each product's key is followed for live bids. Bids are WebSocket actions
 * `bid`; the server decides who wins (a Conflict error names the current bid). Returns the teardown.
 */
export function mountSales(root: HTMLElement, platform: PlatformInfo): () => void {
  return mountUserPage(root, USER_PAGE, (session) => mountSalesAs(root, platform, session));
}

/** The sales page for the session's user. */
function mountSalesAs(root: HTMLElement, platform: PlatformInfo, session: UserSession): () => void {
  const { user } = session;
  const cards = new Map<number, ProductCard>();
  /** Products of bids sent and not answered yet, in send order (replies carry no product id). */
  const pending: number[] = [];

  const badge = connectionBadge();
  const alerts = alertList();
  const grid = h('div', { class: 'products', 'aria-label': 'Products' });
  const status = h('span', { class: 'catalogue-status muted', role: 'status' }, 'Loading the catalogue…');
  const reload = h('button', { type: 'button', class: 'reload' }, 'Reload catalogue');
  root.replaceChildren(
    h(
      'section',
      { class: 'page sales' },
      h(
        'div',
        { class: 'toolbar' },
        h('h1', {}, 'Sales'),
        whoAmI('Bidding as ', session),
        reload,
        status,
        badge.element,
      ),
      alerts.element,
      grid,
    ),
  );

  const live = pageConnection(platform, badge, {
    query: { user },
    onItem: (frame) => applyBid(frame),
    onAck: (frame) => {
      if (frame.action !== 'bid') return;
      const productId = pending.shift();
      if (productId !== undefined) showNote(productId, 'ok', 'Bid accepted');
    },
    onError: (frame) => {
      const productId = frame.action === 'bid' ? pending.shift() : undefined;
      if (productId !== undefined) showNote(productId, 'error', frame.message);
      alerts.show(frame.code, frame.message);
    },
  });

  const worker = new Worker(new URL('../sales/catalogue.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<CatalogueReply>) => {
    reload.disabled = false;
    const reply = event.data;
    if (reply.type === 'error') {
      status.textContent = 'Catalogue unavailable';
      alerts.show('CatalogueError', reply.message);
      return;
    }
    for (const product of reply.products) upsertCard(product);
    status.textContent = `${reply.products.length} products · catalogue read ${new Date().toLocaleTimeString()}`;
    grid.dataset.loaded = 'true';
  };
  const load = () => {
    reload.disabled = true;
    const message: LoadCatalogue = { type: 'load', url: new URL('sales/catalogue', document.baseURI).href };
    worker.postMessage(message);
  };
  reload.addEventListener('click', load);
  load();

  function upsertCard(product: ProductRow): void {
    const existing = cards.get(product.id);
    if (existing) {
      existing.product = product;
      // The catalogue may lag the live bids (it is applied from a queue): keep whichever is newer.
      if (product.bid_count > existing.bidCount) {
        setBid(existing, product.current_bid, product.top_bidder, product.bid_count);
      }
      existing.element.dataset.catalogueBids = String(product.bid_count);
      return;
    }
    const current = h('strong', { class: 'current-bid' });
    const meta = h('span', { class: 'bid-meta muted' });
    const input = h('input', {
      type: 'number',
      name: 'amount',
      step: 'any',
      inputmode: 'decimal',
      'aria-label': `Your bid on ${product.name}`,
    });
    const note = h('p', { class: 'bid-note', role: 'status' });
    const form = h(
      'form',
      { class: 'bid-form' },
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Bid'),
    );
    const element = h(
      'article',
      { class: 'product card', 'data-product-id': product.id, 'data-catalogue-bids': product.bid_count },
      h('img', { src: product.image, alt: product.name, width: 160, height: 120 }),
      h('h2', {}, product.name),
      h('p', { class: 'price muted' }, `Starting price ${money(product.price)}`),
      h('div', { class: 'bid-line' }, current, meta),
      form,
      note,
    );
    const card: ProductCard = {
      product,
      amount: null,
      bidder: null,
      bidCount: 0,
      element,
      current,
      meta,
      input,
      note,
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const amount = Number(input.value);
      if (!Number.isFinite(amount) || input.value.trim() === '')
        return showNote(product.id, 'error', 'Enter an amount');
      if (live.send({ action: 'bid', productId: product.id, amount })) {
        pending.push(product.id);
        showNote(product.id, 'pending', `Bidding ${money(amount)}…`);
      } else {
        showNote(product.id, 'error', 'Not connected; reconnecting, try again in a moment');
      }
    });
    cards.set(product.id, card);
    setBid(card, product.current_bid, product.top_bidder, product.bid_count);
    grid.append(element);
    live.subscribe(productKey(product.id));
  }

  function applyBid(frame: ItemFrame): void {
    if (frame.channel !== BID_CHANNEL) return;
    const parsed = BidDataSchema.safeParse(frame.data);
    if (!parsed.success) return;
    const card = cards.get(parsed.data.productId);
    if (!card || frame.version < card.bidCount) return;
    setBid(card, parsed.data.amount, parsed.data.bidder, frame.version);
    card.element.classList.remove('flash');
    // Restart the highlight for every new bid.
    void card.element.offsetWidth;
    card.element.classList.add('flash');
  }

  function setBid(card: ProductCard, amount: number | null, bidder: string | null, bidCount: number): void {
    card.amount = amount;
    card.bidder = bidder;
    card.bidCount = bidCount;
    card.current.textContent = amount === null ? 'No bids yet' : money(amount);
    card.meta.textContent =
      amount === null
        ? ''
        : `${bidder === user ? 'you' : bidder} · ${bidCount} bid${bidCount === 1 ? '' : 's'}`;
    card.element.dataset.currentBid = amount === null ? '' : String(amount);
    card.element.classList.toggle('leading', bidder === user);
    const next = amount === null ? card.product.price : Math.floor(amount) + 1;
    // A hint, not a constraint: the server is the judge, and a losing bid gets its answer.
    card.input.placeholder = money(next);
  }

  function showNote(productId: number, kind: 'ok' | 'error' | 'pending', text: string): void {
    const card = cards.get(productId);
    if (!card) return;
    card.note.textContent = text;
    card.note.dataset.kind = kind;
  }

  return () => {
    live.close();
    worker.terminate();
  };
}

function money(amount: number): string {
  return amount.toLocaleString(undefined, { style: 'currency', currency: 'EUR' });
}
