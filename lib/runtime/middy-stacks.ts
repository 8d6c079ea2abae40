import { BatchProcessor, type EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Context, DynamoDBRecord, KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import { type ApiKeyGrant, requireApiKey } from './api-key.ts';
import { httpErrorMapper } from './http-responses.ts';
import type { Powertools } from './powertools.ts';
import { tracingMiddleware } from './tracing.ts';

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** Tracing, context-enriched logs and metrics flushed per invocation (cold start counted). */
export function observedHandler<E, R>(handler: Handler<E, R>, tools: Powertools): MiddyfiedHandler<E, R> {
  const stack = middy<E, R>(handler);
  const tracing = tracingMiddleware(tools.tracer);
  if (tracing) stack.use(tracing as MiddlewareObj<E, R>);
  return stack
    .use(injectLambdaContext(tools.logger, { resetKeys: true }))
    .use(logMetrics(tools.metrics, { captureColdStartMetric: true }));
}

/**
 * An HTTP API handler: API key checked (when `apiKeys` is given) before the JSON body is parsed,
 * every error mapped to the platform's error body (last).
 */
export function httpHandler<E, R>(
  handler: Handler<E, R>,
  tools: Powertools,
  options: { jsonBody: boolean; apiKeys?: readonly ApiKeyGrant[] },
) {
  const stack = observedHandler(handler, tools);
  if (options.apiKeys) stack.use(requireApiKey(options.apiKeys) as MiddlewareObj<E, R>);
  if (options.jsonBody) stack.use(httpJsonBodyParser());
  return stack.use(httpErrorMapper(tools.logger));
}

/**
 * A batch consumer (SQS, Kinesis, DynamoDB Streams) under {@link observedHandler}: Powertools'
 * BatchProcessor runs `recordHandlerOf()`'s step on each record and reports as batch item failures
 * only the records it threw for, a batch of which every record failed included (reported, not thrown).
 * `recordHandlerOf` runs once per invocation (what it returns may hold per-invocation state).
 * `inOrder` runs the records one after another instead of all at once.
 */
export function batchHandler<R extends SQSRecord | KinesisStreamRecord | DynamoDBRecord>(
  type: (typeof EventType)[keyof typeof EventType],
  recordHandlerOf: () => (record: R) => Promise<void>,
  tools: Powertools,
  options: { inOrder?: boolean } = {},
): MiddyfiedHandler<{ Records: R[] }, { batchItemFailures: { itemIdentifier: string }[] }> {
  const processor = new BatchProcessor(type);
  return observedHandler((event, context) => {
    const handleRecord = recordHandlerOf();
    return processPartialResponse(event, (record: R) => handleRecord(record), processor, {
      context,
      throwOnFullBatchFailure: false,
      ...(options.inOrder ? { processInParallel: false } : {}),
    });
  }, tools);
}
