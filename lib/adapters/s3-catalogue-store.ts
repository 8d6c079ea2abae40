import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DependencyError, StaleWriteError } from '#core/errors.ts';
import type { CatalogueObjectStore } from '#core/sales-catalogue.ts';

/** Content type of sales.db (SQLite's registered media type). */
export const SQLITE_CONTENT_TYPE = 'application/vnd.sqlite3';

/**
 * The sales catalogue (one SQLite file) in S3, written with conditional puts: `If-Match` on the
 * ETag read, so a writer that lost a race gets 412 PreconditionFailed (S3 conditional writes) and
 * re-reads instead of overwriting. Locally the fauxqs service enforces the same.
 */
export class S3CatalogueStore implements CatalogueObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {}

  async read(): Promise<{ bytes: Uint8Array; etag: string } | undefined> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      const bytes = (await result.Body?.transformToByteArray()) ?? new Uint8Array();
      if (result.ETag === undefined) throw new DependencyError(`${this.where()} has no ETag`);
      return { bytes, etag: result.ETag };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      if (error instanceof DependencyError) throw error;
      throw this.failed('get', error);
    }
  }

  async writeIfMatch(bytes: Uint8Array, etag: string): Promise<void> {
    if (!(await this.putIf(bytes, { IfMatch: etag }, 'put'))) {
      throw new StaleWriteError(`${this.where()} changed since it was read`);
    }
  }

  /** Creates the catalogue unless one exists (`If-None-Match: *`); true when it was created. */
  createIfAbsent(bytes: Uint8Array): Promise<boolean> {
    return this.putIf(bytes, { IfNoneMatch: '*' }, 'create');
  }

  /**
   * A conditional PutObject; false when its precondition did not hold. 412 PreconditionFailed: the
   * object changed (or exists); 409 ConditionalRequestConflict: a concurrent conditional write to the
   * same key is in flight. Both mean: read again.
   */
  private async putIf(
    bytes: Uint8Array,
    condition: { IfMatch: string } | { IfNoneMatch: '*' },
    what: string,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: bytes,
          ContentType: SQLITE_CONTENT_TYPE,
          ...condition,
        }),
      );
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw this.failed(what, error);
    }
  }

  private where(): string {
    return `s3://${this.bucket}/${this.key}`;
  }

  private failed(what: string, error: unknown): DependencyError {
    const name = (error as { name?: string } | undefined)?.name;
    return new DependencyError(`${what} ${this.where()}: S3 failed (${name ?? 'unknown error'})`, {
      cause: error,
    });
  }
}
