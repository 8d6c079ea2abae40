import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyError, StaleWriteError } from '#core/errors.ts';
import type { JobSlotStore, SlotClaim } from '#core/jobs.ts';
import { fromDynamoError } from './dynamo-errors.ts';

/** Rounds of read-and-retry before a claim gives up on contention (two racing claims need two). */
const CLAIM_ROUNDS = 4;

/**
 * Jobs in flight per caller in JobSlotsTable: one item per caller, `jobs` a map jobId → lease end
 * (epoch s). A claim adds an entry in one conditional update (the map is below the limit and the id
 * is not in it), so racing claims never exceed the limit; leases that ended are dropped on the way.
 */
export class DynamoJobSlotStore implements JobSlotStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(input: {
    caller: string;
    jobId: string;
    limit: number;
    leaseEndsAt: number;
    now: number;
  }): Promise<SlotClaim> {
    for (let round = 0; round < CLAIM_ROUNDS; round += 1) {
      if (await this.#addEntry(input)) return 'claimed';
      const jobs = await this.#jobsOf(input.caller);
      if (jobs === undefined) {
        if (await this.#createItem(input)) return 'claimed';
        continue;
      }
      if (jobs[input.jobId] !== undefined) return 'taken';
      const ended = Object.keys(jobs).filter((jobId) => (jobs[jobId] ?? 0) <= input.now);
      if (ended.length === 0 && Object.keys(jobs).length >= input.limit) return 'full';
      await this.#removeEntries(input.caller, ended);
    }
    throw new DependencyError(`job slots of ${input.caller}: too much contention`);
  }

  async release(caller: string, jobId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { caller },
          UpdateExpression: 'REMOVE jobs.#jobId',
          // Without it, a release after the item expired would create an empty one.
          ConditionExpression: 'attribute_exists(caller)',
          ExpressionAttributeNames: { '#jobId': jobId },
        }),
      );
    } catch (error) {
      const mapped = fromDynamoError(error, `release job slot ${jobId}`);
      if (!(mapped instanceof StaleWriteError)) throw mapped;
    }
  }

  /** Adds the entry when the caller's map exists, is below the limit and lacks the id. */
  async #addEntry(input: { caller: string; jobId: string; limit: number; leaseEndsAt: number }) {
    return this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { caller: input.caller },
        UpdateExpression: 'SET jobs.#jobId = :leaseEndsAt, expiresAt = :leaseEndsAt',
        ConditionExpression:
          'attribute_exists(jobs) AND size(jobs) < :limit AND attribute_not_exists(jobs.#jobId)',
        ExpressionAttributeNames: { '#jobId': input.jobId },
        ExpressionAttributeValues: { ':leaseEndsAt': input.leaseEndsAt, ':limit': input.limit },
      }),
      `claim job slot ${input.jobId}`,
    );
  }

  /** The caller's first job (a nested SET needs the map to exist). */
  async #createItem(input: { caller: string; jobId: string; leaseEndsAt: number }) {
    return this.#conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          caller: input.caller,
          jobs: { [input.jobId]: input.leaseEndsAt },
          expiresAt: input.leaseEndsAt,
        },
        ConditionExpression: 'attribute_not_exists(caller)',
      }),
      `claim first job slot ${input.jobId}`,
    );
  }

  async #removeEntries(caller: string, jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { caller },
          UpdateExpression: `REMOVE ${jobIds.map((_, index) => `jobs.#j${index}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(jobIds.map((jobId, index) => [`#j${index}`, jobId])),
        }),
      );
    } catch (error) {
      throw fromDynamoError(error, `drop ended job slots of ${caller}`);
    }
  }

  async #jobsOf(caller: string): Promise<Record<string, number> | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { caller }, ConsistentRead: true }),
      );
      return result.Item?.jobs as Record<string, number> | undefined;
    } catch (error) {
      throw fromDynamoError(error, `read job slots of ${caller}`);
    }
  }

  /** Sends a conditional write: true when it applied, false when its condition failed. */
  async #conditional(command: UpdateCommand | PutCommand, what: string): Promise<boolean> {
    try {
      await this.client.send(command as UpdateCommand);
      return true;
    } catch (error) {
      const mapped = fromDynamoError(error, what);
      if (mapped instanceof StaleWriteError) return false;
      throw mapped;
    }
  }
}
