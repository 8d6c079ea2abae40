import { WIDGET_CHANNEL_PREFIX } from '#contracts/app-keys.ts';
import type { WidgetAttribute, WidgetData, WidgetRequest } from '#contracts/widget-request.ts';
import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import { NotFoundError, PayloadTooLargeError } from './errors.ts';

/** Room the frame envelope (`type`, key, channel, version, ts) takes beside `data`. */
const FRAME_ENVELOPE_BYTES = 512;

/** The channel a widget is stored under within its owner's key. */
function widgetChannel(widgetId: string): string {
  return `${WIDGET_CHANNEL_PREFIX}${widgetId}`;
}

/** A widget as stored: its item's `ts`, `version` and `data`. */
export interface StoredWidget {
  ts: number;
  version: number;
  data: WidgetData;
}

/** The write a widget request turns into, conditional on the version it was planned against. */
export type WidgetWrite =
  | {
      kind: 'put';
      itemKey: string;
      channel: string;
      ts: number;
      data: WidgetData;
      /** New version; the write requires the stored one to be `version - 1` (none when 1). */
      version: number;
    }
  | { kind: 'delete'; itemKey: string; channel: string; expectedVersion: number };

type WidgetPlan = WidgetWrite | { kind: 'skip'; reason: 'stale' | 'missing' };

/**
 * Decides what a widget request does to the stored widget:
 * - create stores the widget (replacing one of the same id: the newer request wins);
 * - update merges: fields present replace, fields absent are kept, `otherAttributes` merge by name;
 * - delete removes the item (subscribers get a `removed` frame); deleting a missing widget is a no-op.
 * Like every RealTimeData write, a request whose `ts` is older than or equal to the stored one is
 * stale and skipped. Without `ts`, the request is stamped `now` (or just after the stored `ts`).
 * @throws NotFoundError when an update names a widget that does not exist, PayloadTooLargeError when
 * the widget would not fit one WebSocket frame (both permanent: dead-lettered).
 */
export function planWidgetRequest(
  request: WidgetRequest,
  current: StoredWidget | undefined,
  now: number,
): WidgetPlan {
  const plan = planWrite(request, current, now);
  if (plan.kind === 'put') {
    const size = Buffer.byteLength(JSON.stringify(plan.data)) + FRAME_ENVELOPE_BYTES;
    if (size > MAX_FRAME_BYTES) {
      throw new PayloadTooLargeError(
        `widget ${request.widgetId}: is ${size} bytes with its frame; the limit is ${MAX_FRAME_BYTES}`,
      );
    }
  }
  return plan;
}

function planWrite(request: WidgetRequest, current: StoredWidget | undefined, now: number): WidgetPlan {
  const itemKey = request.owner;
  const channel = widgetChannel(request.widgetId);
  if (current && request.ts !== undefined && request.ts <= current.ts)
    return { kind: 'skip', reason: 'stale' };
  const ts = request.ts ?? Math.max(now, (current?.ts ?? -1) + 1);
  const version = (current?.version ?? 0) + 1;
  switch (request.type) {
    case 'create':
      return {
        kind: 'put',
        itemKey,
        channel,
        ts,
        version,
        data: {
          widgetId: request.widgetId,
          label: request.label,
          ...(request.description === undefined ? {} : { description: request.description }),
          otherAttributes: mergeAttributes([], request.otherAttributes),
        },
      };
    case 'update':
      if (!current) throw new NotFoundError(`widget ${request.widgetId} of ${itemKey} does not exist`);
      return { kind: 'put', itemKey, channel, ts, version, data: mergeWidget(current.data, request) };
    case 'delete':
      if (!current) return { kind: 'skip', reason: 'missing' };
      return { kind: 'delete', itemKey, channel, expectedVersion: current.version };
  }
}

/** `current` with the fields the update carries; nothing absent from the update is lost. */
export function mergeWidget(
  current: WidgetData,
  update: Pick<WidgetData, 'label' | 'description' | 'otherAttributes'> | Partial<WidgetData>,
): WidgetData {
  const description = update.description ?? current.description;
  return {
    widgetId: current.widgetId,
    label: update.label ?? current.label,
    ...(description === undefined ? {} : { description }),
    otherAttributes: mergeAttributes(current.otherAttributes, update.otherAttributes ?? []),
  };
}

/** Attributes by name: an update replaces the value of a name in place and appends new names. */
export function mergeAttributes(
  current: readonly WidgetAttribute[],
  updates: readonly WidgetAttribute[],
): WidgetAttribute[] {
  const merged = new Map(current.map((attribute) => [attribute.name, attribute.value]));
  for (const attribute of updates) merged.set(attribute.name, attribute.value);
  return [...merged].map(([name, value]) => ({ name, value }));
}

/** Where widgets are stored and which requests were applied (RealTimeData + the idempotency table). */
export interface WidgetStore {
  /** Whether a request with this id was applied already. */
  wasApplied(requestId: string): Promise<boolean>;
  getWidget(itemKey: string, channel: string): Promise<StoredWidget | undefined>;
  /**
   * Applies the write and records `requestId` as applied, atomically.
   * Resolves `duplicate` when the request id was recorded meanwhile (nothing written).
   * @throws DependencyError when the widget changed since it was read (retry re-plans), or on failure.
   */
  apply(
    write: WidgetWrite,
    requestId: string,
    source: { keyAttribute: string; receivedAt: number },
  ): Promise<'applied' | 'duplicate'>;
}

export type WidgetOutcome = 'applied' | 'duplicate' | 'stale' | 'missing';

/**
 * Applies one widget request once: a request id seen before is a duplicate, whatever it asks.
 * @throws NotFoundError for an update of a missing widget; DependencyError when the store fails.
 */
export async function applyWidgetRequest(
  request: WidgetRequest,
  store: WidgetStore,
  options: { keyAttribute: string; now: number },
): Promise<WidgetOutcome> {
  if (await store.wasApplied(request.requestId)) return 'duplicate';
  const current = await store.getWidget(request.owner, widgetChannel(request.widgetId));
  const plan = planWidgetRequest(request, current, options.now);
  if (plan.kind === 'skip') return plan.reason;
  return store.apply(plan, request.requestId, {
    keyAttribute: options.keyAttribute,
    receivedAt: options.now,
  });
}
