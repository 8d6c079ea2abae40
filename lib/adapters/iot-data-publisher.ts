import {
  ForbiddenException,
  InvalidRequestException,
  type IoTDataPlaneClient,
  PublishCommand,
  RequestEntityTooLargeException,
  UnauthorizedException,
} from '@aws-sdk/client-iot-data-plane';
import { DependencyError, ForbiddenError, PayloadTooLargeError, ValidationError } from '#core/errors.ts';
import type { DevicePublisher } from '#core/ports.ts';

/** Publishes to devices through the AWS IoT data plane `Publish` API (locally: the broker bridge). */
export class IotDataPublisher implements DevicePublisher {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async publish(topic: string, message: unknown, qos: 0 | 1): Promise<void> {
    try {
      await this.client.send(
        new PublishCommand({ topic, qos, payload: Buffer.from(JSON.stringify(message)) }),
      );
    } catch (error) {
      // SDK v3 errors carry the status in $metadata.httpStatusCode (there is no statusCode).
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (error instanceof ForbiddenException || error instanceof UnauthorizedException || status === 403)
        throw new ForbiddenError(`publishing to ${topic} is not allowed`, { cause: error });
      if (error instanceof RequestEntityTooLargeException || status === 413)
        throw new PayloadTooLargeError(`message to ${topic} exceeds IoT Core's limit`, { cause: error });
      if (error instanceof InvalidRequestException || status === 400)
        throw new ValidationError(
          `IoT Core refused the message to ${topic}: ${(error as Error).message}`,
          [],
          {
            cause: error,
          },
        );
      throw new DependencyError(`publish to ${topic} failed (${(error as Error).name ?? status})`, {
        cause: error,
      });
    }
  }
}
