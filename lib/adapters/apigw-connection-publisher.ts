import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import {
  DependencyError,
  PayloadTooLargeError,
  SlowConnectionError,
  StaleConnectionError,
} from '#core/errors.ts';
import type { ConnectionPublisher } from '#core/ports.ts';
import { createManagementApiClient } from './apigw-management-client.ts';

/** How long one PostToConnection may take before the connection counts as slow. */
const DEFAULT_POST_TIMEOUT_MS = 3000;

/** Posts frames through API Gateway's `@connections` endpoint (locally: the gateway of local/). */
export class ApiGatewayConnectionPublisher implements ConnectionPublisher {
  private readonly postTimeoutMs: number;

  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    options: { postTimeoutMs?: number } = {},
  ) {
    this.postTimeoutMs = options.postTimeoutMs ?? DEFAULT_POST_TIMEOUT_MS;
  }

  async post(connectionId: string, frame: ServerFrame): Promise<void> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(frame) }),
        // Bounded per post: one stuck connection must not hold the batch (and every other subscriber).
        { abortSignal: AbortSignal.timeout(this.postTimeoutMs) },
      );
    } catch (error) {
      // SDK v3 errors carry the status in $metadata.httpStatusCode (there is no statusCode).
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const name = (error as { name?: string }).name;
      if (error instanceof GoneException || status === 410)
        throw new StaleConnectionError(connectionId, { cause: error });
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new SlowConnectionError(connectionId, `post timed out after ${this.postTimeoutMs} ms`, {
          cause: error,
        });
      if (error instanceof LimitExceededException || status === 429)
        throw new SlowConnectionError(connectionId, 'throttled (LimitExceeded)', { cause: error });
      if (error instanceof PayloadTooLargeException || status === 413) {
        throw new PayloadTooLargeError(`frame for ${connectionId} exceeds API Gateway's limit`, {
          cause: error,
        });
      }
      throw new DependencyError(`post to ${connectionId} failed (${(error as Error).name ?? status})`, {
        cause: error,
      });
    }
  }

  async disconnect(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }), {
        abortSignal: AbortSignal.timeout(this.postTimeoutMs),
      });
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (error instanceof GoneException || status === 410) return;
      throw new DependencyError(`disconnect ${connectionId} failed (${(error as Error).name ?? status})`, {
        cause: error,
      });
    }
  }
}

/**
 * The publisher of a function configured by `CallbackEnvSchema`: its `@connections` endpoint (the
 * local runtime may route it in-process, see apigw-management-client.ts).
 */
export function connectionPublisherFor(
  config: { WS_CALLBACK_URL: string },
  options: { postTimeoutMs?: number } = {},
): ApiGatewayConnectionPublisher {
  return new ApiGatewayConnectionPublisher(createManagementApiClient(config.WS_CALLBACK_URL), options);
}
