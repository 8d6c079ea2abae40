import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DependencyError } from '#core/errors.ts';
import type { ObjectStore, ObjectStream } from '#core/ingest-ports.ts';

/**
 * Objects in S3. The client is injected; region, credentials and endpoint come from the SDK's
 * environment chain. Locally `AWS_ENDPOINT_URL_S3` is an IP literal (http://127.0.0.1:4566), for
 * which the SDK addresses buckets path-style by itself, so no `forcePathStyle` is needed here.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

  async getText(bucket: string, key: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await result.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw fromS3Error(error, `get s3://${bucket}/${key}`);
    }
  }

  async openStream(bucket: string, key: string): Promise<ObjectStream | undefined> {
    const what = `get s3://${bucket}/${key}`;
    let body: Readable;
    let size: number;
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      // In Node the SDK's body is the HTTP response itself: a Readable, read as it arrives.
      body = result.Body as Readable;
      size = result.ContentLength ?? 0;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw fromS3Error(error, what);
    }
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body) yield chunk as Uint8Array;
      } catch (error) {
        throw fromS3Error(error, `${what} (stream broke)`);
      }
    }
    return { size, chunks: chunks(), close: () => body.destroy() };
  }

  async putJson(bucket: string, key: string, value: unknown): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(value, null, 2),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw fromS3Error(error, `put s3://${bucket}/${key}`);
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      throw fromS3Error(error, `delete s3://${bucket}/${key}`);
    }
  }
}

function fromS3Error(error: unknown, what: string): DependencyError {
  const name = (error as { name?: string } | undefined)?.name;
  return new DependencyError(`${what}: S3 failed (${name ?? 'unknown error'})`, { cause: error });
}
