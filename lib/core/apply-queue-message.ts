import type { ObjectStore } from './ingest-ports.ts';
import { ingestReadings } from './ingest-readings.ts';
import type { NormaliseOptions } from './normalise-reading.ts';
import type { ItemStore } from './ports.ts';
import { type PayloadCommand, parseClaimedPayload, parseQueueMessage } from './queue-message.ts';
import { applyWidgetRequest, type WidgetOutcome, type WidgetStore } from './widget-requests.ts';

export interface QueueMessageDeps {
  items: ItemStore;
  widgets: WidgetStore;
  objects: ObjectStore;
}

/** What applying one message did (for metrics and logs). */
type QueueMessageOutcome =
  | { kind: 'readings'; accepted: number; stale: number; claimed: boolean }
  | { kind: 'widget'; outcome: WidgetOutcome; requestId: string; claimed: boolean }
  /** The claim check's object is gone: already applied and deleted by an earlier delivery. */
  | { kind: 'claimGone'; bucket: string; key: string };

/**
 * Applies one queue message. A claim check is resolved (object read, applied, then deleted — the
 * object stays when applying fails, so a retry finds it).
 * @throws ValidationError / NotFoundError for messages that can never apply (dead-lettered),
 * DependencyError when a store fails (retried).
 */
export async function applyQueueMessage(
  body: string,
  deps: QueueMessageDeps,
  options: NormaliseOptions,
): Promise<QueueMessageOutcome> {
  const command = parseQueueMessage(body, options);
  if (command.kind !== 'claimCheck') return applyCommand(command, deps, options, false);
  const { bucket, key } = command.claimCheck;
  const text = await deps.objects.getText(bucket, key);
  if (text === undefined) return { kind: 'claimGone', bucket, key };
  const outcome = await applyCommand(parseClaimedPayload(text, options), deps, options, true);
  await deps.objects.delete(bucket, key);
  return outcome;
}

async function applyCommand(
  command: PayloadCommand,
  deps: QueueMessageDeps,
  options: NormaliseOptions,
  claimed: boolean,
): Promise<QueueMessageOutcome> {
  if (command.kind === 'readings') {
    const result = await ingestReadings(command.readings, deps.items);
    return { kind: 'readings', ...result, claimed };
  }
  const outcome = await applyWidgetRequest(command.request, deps.widgets, {
    keyAttribute: options.keyAttribute,
    now: options.now,
  });
  return { kind: 'widget', outcome, requestId: command.request.requestId, claimed };
}
