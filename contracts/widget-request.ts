import { ItemKeySchema } from './item-key.ts';
import * as z from './zod.ts';

/** A widget's id: the part after `widget#` in its channel. */
export const WidgetIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(127),
    z.regex(/^[A-Za-z0-9_.:@-]+$/, 'may contain only letters, digits and _ . : @ -'),
  );

/** One free-form attribute of a widget; an update replaces the attribute of the same `name`. */
export const WidgetAttributeSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(128)),
  value: z.string().check(z.maxLength(4096)),
});
export type WidgetAttribute = z.output<typeof WidgetAttributeSchema>;

const requestFields = {
  /** Idempotency key: a request id seen before is not applied again. */
  requestId: z.string().check(z.minLength(1), z.maxLength(128)),
  widgetId: WidgetIdSchema,
  /** The item key the widget is stored under (dashboards subscribed to it see the widget). */
  owner: ItemKeySchema,
  /** Event time at the source, epoch ms; defaults to the time it is applied. */
  ts: z.optional(z.int().check(z.nonnegative())),
};

export const WidgetCreateRequestSchema = z.strictObject({
  type: z.literal('create'),
  ...requestFields,
  label: z.string().check(z.minLength(1), z.maxLength(256)),
  description: z.optional(z.string().check(z.maxLength(4096))),
  otherAttributes: z._default(z.array(WidgetAttributeSchema).check(z.maxLength(100)), []),
});

/** Fields present are merged into the widget; fields absent keep their stored value. */
export const WidgetUpdateRequestSchema = z.strictObject({
  type: z.literal('update'),
  ...requestFields,
  label: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  description: z.optional(z.string().check(z.maxLength(4096))),
  otherAttributes: z.optional(z.array(WidgetAttributeSchema).check(z.maxLength(100))),
});

export const WidgetDeleteRequestSchema = z.strictObject({ type: z.literal('delete'), ...requestFields });

/**
 * A request of the widget-requests system, arriving over SNS/SQS. Stored as the RealTimeData item
 * (`owner`, `widget#<widgetId>`); see lib/core/widget-requests.ts for create/merge/delete rules.
 */
export const WidgetRequestSchema = z.discriminatedUnion('type', [
  WidgetCreateRequestSchema,
  WidgetUpdateRequestSchema,
  WidgetDeleteRequestSchema,
]);
export type WidgetRequest = z.output<typeof WidgetRequestSchema>;

/** A widget as stored in an item's `data` (and sent in its frames). */
export const WidgetDataSchema = z.strictObject({
  widgetId: WidgetIdSchema,
  label: z.string(),
  description: z.optional(z.string()),
  otherAttributes: z.array(WidgetAttributeSchema),
});
export type WidgetData = z.output<typeof WidgetDataSchema>;
