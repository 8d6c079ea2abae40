/** Ports of the queue and object ingestors (beside lib/core/ports.ts). */

/** Objects in a bucket (S3). */
export interface ObjectStore {
  /** The object's text, or undefined when it does not exist. */
  getText(bucket: string, key: string): Promise<string | undefined>;
  putJson(bucket: string, key: string, value: unknown): Promise<void>;
  /** Deleting a missing object is not an error. */
  delete(bucket: string, key: string): Promise<void>;
}

/** Where a message that can never be applied goes, with the reason (the queue's DLQ). */
export interface DeadLetterQueue {
  reject(
    message: { body: string; messageId: string },
    reason: { code: string; message: string },
  ): Promise<void>;
}
