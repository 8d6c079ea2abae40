import { toPlatformError } from '#core/errors.ts';
import type { RejectDestination, RejectedInput } from '#core/ingest-ports.ts';
import type { Powertools } from './powertools.ts';

/** How {@link retryOrReject} reports one input that failed. */
interface FailedInput {
  /** Names the input in the logs: `<what> will be retried`, `<what> rejected`. */
  what: string;
  /** What both log lines carry beside the error: the ids that find the input. */
  context: Record<string, unknown>;
  /** Counted once for each input rejected. */
  metric: string;
  /** The level of the reject's log line: `error` where a reject means a fault upstream. Default `warn`. */
  level?: 'warn' | 'error';
  /** Where the rejected input goes with its bytes and reason; without it, it is only logged and counted. */
  reject?: { to: RejectDestination; input: RejectedInput };
}

/**
 * The one way a handler meets the failure of one input. A retryable failure is logged and thrown,
 * so the input comes back (a batch item failure, an async retry); a permanent one can never succeed:
 * it is logged, sent to its reject destination with its reason, then counted. A reject that cannot
 * be sent is thrown, so the input is retried rather than lost (and not counted).
 */
export async function retryOrReject(error: unknown, tools: Powertools, failed: FailedInput): Promise<void> {
  const platformError = toPlatformError(error);
  const context = { ...failed.context, error: platformError };
  if (platformError.retryable) {
    tools.logger.warn(`${failed.what} will be retried`, context);
    throw platformError;
  }
  tools.logger[failed.level ?? 'warn'](`${failed.what} rejected`, context);
  if (failed.reject) {
    await failed.reject.to.reject(failed.reject.input, {
      code: platformError.code,
      message: platformError.message,
    });
  }
  tools.metrics.addMetric(failed.metric, 'Count', 1);
}

/** Counts readings written: `ReadingsIngested` those applied, `ReadingsStale` those older than the item. */
export function countReadings(tools: Powertools, result: { accepted: number; stale: number }): void {
  tools.metrics.addMetric('ReadingsIngested', 'Count', result.accepted - result.stale);
  if (result.stale > 0) tools.metrics.addMetric('ReadingsStale', 'Count', result.stale);
}

/** The log ids and reject of a queue message: its body kept as it arrived, found again by its id. */
export function queueMessageFailure(
  source: string,
  to: RejectDestination,
  message: { messageId: string; body: string },
): Pick<FailedInput, 'context' | 'reject'> {
  return {
    context: { messageId: message.messageId },
    reject: { to, input: { source, payload: message.body, ids: { SourceMessageId: message.messageId } } },
  };
}
