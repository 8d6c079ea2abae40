/** Ports of the queue and object ingestors (beside lib/core/ports.ts). */

/** An object being read: its size first, then its bytes as they arrive. */
export interface ObjectStream {
  /** Bytes, as the store reports them before the body is read. */
  size: number;
  /** @throws DependencyError when the stream breaks part way. */
  chunks: AsyncIterable<Uint8Array>;
  /** Stops reading (the rest of the body is discarded). */
  close(): void;
}

/** Objects in a bucket (S3). */
export interface ObjectStore {
  /** The object's text, or undefined when it does not exist. */
  getText(bucket: string, key: string): Promise<string | undefined>;
  /** The object as a stream (memory flat in its size), or undefined when it does not exist. */
  openStream(bucket: string, key: string): Promise<ObjectStream | undefined>;
  putJson(bucket: string, key: string, value: unknown): Promise<void>;
  /** Deleting a missing object is not an error. */
  delete(bucket: string, key: string): Promise<void>;
}

/** An input that can never be applied, as it arrived (contracts/rejects.ts). */
export interface RejectedInput {
  /** `mqtt`, `kinesis`, `queue`, … (`REJECT_SOURCES`), or the app queue's name. */
  source: string;
  /** The original bytes (text as received, or raw bytes). */
  payload: string | Uint8Array;
  /** What finds or replays it at its source: `Topic`, `PartitionKey`, `SequenceNumber`, `SourceMessageId`. */
  ids: Record<string, string>;
}

/** Where an input that can never be applied goes, with its bytes and the reason (a reject queue, a DLQ). */
export interface RejectDestination {
  reject(input: RejectedInput, reason: { code: string; message: string }): Promise<void>;
}
