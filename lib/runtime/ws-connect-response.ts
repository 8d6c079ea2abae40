import type { APIGatewayProxyResult } from 'aws-lambda';
import { toPlatformError } from '#core/errors.ts';
import type { Powertools } from './powertools.ts';

/**
 * Runs the $connect work and maps its outcome to the status API Gateway answers the upgrade with:
 * 200 accepts; a client error refuses with its status (400 for a missing key); a failing dependency
 * 503 (the client may retry); anything else 500.
 */
export async function connectResponse(
  tools: Powertools,
  connectionId: string,
  work: () => Promise<string>,
): Promise<APIGatewayProxyResult> {
  try {
    const key = await work();
    tools.metrics.addMetric('ConnectionsOpened', 'Count', 1);
    tools.logger.debug('connected', { connectionId, itemKey: key });
    return { statusCode: 200, body: '' };
  } catch (error) {
    const platformError = toPlatformError(error);
    if (platformError.expose) {
      tools.logger.info('connection refused', {
        connectionId,
        code: platformError.code,
        reason: platformError.message,
      });
      return { statusCode: platformError.httpStatus, body: platformError.message };
    }
    tools.logger.error('connect failed', { connectionId, error: platformError });
    return platformError.retryable
      ? { statusCode: 503, body: 'service unavailable; try again later' }
      : { statusCode: 500, body: 'internal error' };
  }
}
