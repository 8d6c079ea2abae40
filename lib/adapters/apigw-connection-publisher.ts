import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import type { ConnectionPublisher } from '#core/ports.ts';
import { DependencyError, PayloadTooLargeError, StaleConnectionError } from '#runtime/errors.ts';

/** Posts frames through API Gateway's `@connections` endpoint (locally: the gateway of local/). */
export class ApiGatewayConnectionPublisher implements ConnectionPublisher {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async post(connectionId: string, frame: ServerFrame): Promise<void> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(frame) }),
      );
    } catch (error) {
      // SDK v3 errors carry the status in $metadata.httpStatusCode (there is no statusCode).
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (error instanceof GoneException || status === 410)
        throw new StaleConnectionError(connectionId, { cause: error });
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
}
