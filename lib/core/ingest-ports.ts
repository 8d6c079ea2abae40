/** Ports of the queue and object ingestors (beside lib/core/ports.ts). */

/** Objects in a bucket (S3). */
export interface ObjectStore {
  /** The object's text, or undefined when it does not exist. */
  getText(bucket: string, key: string): Promise<string | undefined>;
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
