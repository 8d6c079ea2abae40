import type { SQSRecord } from 'aws-lambda';
import { applyQueueMessage, type QueueMessageDeps } from '#core/apply-queue-message.ts';
import type { RejectDestination } from '#core/ingest-ports.ts';
import type { IngestSettings } from './ingest-settings.ts';
import { countReadings, queueMessageFailure, retryOrReject } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/**
 * The per-record step of queue-messages, for Powertools' BatchProcessor. A retryable failure is
 * thrown (batch item failure: the message returns after its visibility timeout, and the queue's
 * redrive moves it to the DLQ after maxReceiveCount). A permanent one — bad JSON, a reading that
 * fails its schema, an update of a missing widget — can never apply: it is logged, counted and sent
 * to the DLQ at once with its reason, then deleted from the queue.
 */
export function queueRecordHandler(
  deps: QueueMessageDeps & { deadLetters: RejectDestination },
  tools: Powertools,
  options: IngestSettings,
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    try {
      const outcome = await applyQueueMessage(record.body, deps, {
        keyAttribute: options.keyAttribute,
        source: 'queue',
        now: options.now(),
        // Readings without ts take the time SQS accepted the message: a redelivery is a duplicate.
        sourceTime: Number(record.attributes?.SentTimestamp),
        maxClockSkewMs: options.maxClockSkewMs,
      });
      if (outcome.kind === 'readings') {
        countReadings(tools, outcome);
      } else if (outcome.kind === 'widget') {
        tools.metrics.addMetric(
          outcome.outcome === 'applied' ? 'WidgetRequestsApplied' : 'WidgetRequestsSkipped',
          'Count',
          1,
        );
        if (outcome.outcome !== 'applied') {
          tools.logger.info('widget request skipped', {
            requestId: outcome.requestId,
            outcome: outcome.outcome,
          });
        }
      } else {
        tools.logger.warn('claim check object is gone (applied earlier or never written)', {
          messageId: record.messageId,
          bucket: outcome.bucket,
          key: outcome.key,
        });
        tools.metrics.addMetric('ClaimChecksMissing', 'Count', 1);
      }
      // One per message, beside MessagesRejected: `rtp rejects --replay` counts outcomes with the two.
      tools.metrics.addMetric('MessagesApplied', 'Count', 1);
    } catch (error) {
      await retryOrReject(error, tools, {
        what: 'message',
        metric: 'MessagesRejected',
        ...queueMessageFailure('queue', deps.deadLetters, record),
      });
    }
  };
}
