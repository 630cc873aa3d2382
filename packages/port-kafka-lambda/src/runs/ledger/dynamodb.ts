import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeIssues } from '../../validation.js';
import {
  type ClaimOutcome,
  type ClaimRequest,
  type FinalReport,
  LEDGER_RETENTION_DAYS,
  type LedgerEntry,
  LedgerEntrySchema,
  type RunLedger,
  RunLedgerError,
} from './ledger.js';
import { OPEN_CLAIM, RunLedgerTable } from './table.js';

interface DynamoRunLedgerOptions {
  tableName: string;
  /** Built by the caller: the Lambda loads the SDK on first use, tests point it at a local server. */
  client: DynamoDBClient;
  now?: () => number;
}

type Item = Record<string, AttributeValue>;

/**
 * The SDK's command classes, imported when a call is made rather than at the
 * top: a Lambda bundle that takes the AWS SDK from the runtime moves every
 * static import of it to the bundle's start, so DynamoDB's client would load at
 * every cold start, before any run needs it.
 */
const commands = () => import('@aws-sdk/client-dynamodb');

const K = RunLedgerTable.partitionKey.name;
const TTL = RunLedgerTable.timeToLiveAttribute;
const OPEN = RunLedgerTable.openClaimsIndex.partitionKey.name;

/** Attributes holding numbers; every other attribute is a string. `report` is the final report as JSON. */
const NUMBERS = new Set(['attempt', 'claimedAt', 'expiresAt', 'partition', 'offset', 'reportedAt', 'deliveredAt', TTL]);

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

/**
 * `#name` for every attribute an expression mentions: several of ours (owner,
 * action, open, ttl, partition, offset) are DynamoDB reserved words.
 */
const names = (...attributes: string[]): Record<string, string> => Object.fromEntries(attributes.map((a) => [`#${a}`, a]));

/** Errors a later attempt may get past; the SDK has already retried these a few times. */
const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

const isConditionFailure = (error: unknown): boolean => error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * Wraps an SDK error. DynamoDB's messages name the table and the problem, never
 * item contents. A client fault (missing table, access denied, bad request)
 * will not change on retry; a server fault, throttling or no answer at all may.
 */
const ledgerError = (error: unknown, operation: string, tableName: string): RunLedgerError => {
  const e = error as { name?: unknown; message?: unknown; $fault?: unknown; $retryable?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(error);
  const retryable = e.$retryable !== undefined || RETRYABLE_NAMES.has(name) || e.$fault !== 'client';
  return new RunLedgerError(`Run ledger ${operation} on table ${tableName} failed: ${name}: ${message}`, retryable, {
    cause: error,
  });
};

/**
 * The run ledger in DynamoDB (table: see table.ts). Every write is one
 * conditional UpdateItem or DeleteItem, so two containers racing for a run
 * cannot both win; reads are strongly consistent.
 */
class DynamoRunLedger implements RunLedger {
  readonly #table: string;
  readonly #client: DynamoDBClient;
  readonly #now: () => number;

  constructor(options: DynamoRunLedgerOptions) {
    this.#table = options.tableName;
    this.#client = options.client;
    this.#now = options.now ?? Date.now;
  }

  async claim(runId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    const { UpdateItemCommand } = await commands();
    // A conflicting entry can vanish between the failed write and the read
    // (its claimant released it): then the claim is simply tried again.
    for (let tries = 0; tries < 3; tries++) {
      const now = this.#now();
      const values: Item = {
        ':owner': S(request.owner),
        ':action': S(request.action),
        ':policy': S(request.policy),
        ':now': N(now),
        ':expiresAt': N(request.expiresAt),
        ':open': S(OPEN_CLAIM),
        ':ttl': N(Math.ceil(now / 1000) + LEDGER_RETENTION_DAYS * 86_400),
        ':zero': N(0),
        ':one': N(1),
      };
      const sets = [
        '#owner = :owner',
        '#action = :action',
        '#policy = :policy',
        '#claimedAt = :now',
        '#expiresAt = :expiresAt',
        `#${OPEN} = :open`,
        `#${TTL} = :ttl`,
        '#attempt = if_not_exists(#attempt, :zero) + :one',
      ];
      if (request.record) {
        sets.push('#topic = :topic', '#partition = :partition', '#offset = :offset');
        values[':topic'] = S(request.record.topic);
        values[':partition'] = N(request.record.partition);
        values[':offset'] = N(request.record.offset);
      }
      let old: LedgerEntry | undefined;
      try {
        const out = await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { [K]: S(runId) },
            UpdateExpression: `SET ${sets.join(', ')}`,
            // No entry yet, or a claim that lapsed without a result (its claimant died).
            ConditionExpression: `attribute_not_exists(#${K}) OR (attribute_not_exists(#report) AND #expiresAt < :now)`,
            ExpressionAttributeNames: names(
              K,
              'owner',
              'action',
              'policy',
              'claimedAt',
              'expiresAt',
              OPEN,
              TTL,
              'attempt',
              'report',
              ...(request.record ? ['topic', 'partition', 'offset'] : [])
            ),
            ExpressionAttributeValues: values,
            // The item before the write: present only when an expired claim was taken over.
            ReturnValues: 'ALL_OLD',
          })
        );
        old = out.Attributes === undefined ? undefined : this.#entry(out.Attributes);
      } catch (error) {
        if (!isConditionFailure(error)) throw ledgerError(error, 'claim', this.#table);
        // dynalite does not return the conflicting item with the failure, so it is read
        // (consistently) instead: one path for both, and conflicts are rare.
        const existing = await this.get(runId);
        if (existing !== undefined) return { claimed: false, entry: existing };
        continue;
      }
      const entry: LedgerEntry = {
        runId,
        owner: request.owner,
        action: request.action,
        policy: request.policy,
        attempt: (old?.attempt ?? 0) + 1,
        claimedAt: now,
        expiresAt: request.expiresAt,
        ...(request.record ?? {}),
      };
      return old === undefined ? { claimed: true, entry } : { claimed: true, entry, interrupted: old };
    }
    throw new RunLedgerError(`Run ledger claim of ${runId} kept meeting an entry that disappeared; try again`, true);
  }

  async storeResult(runId: string, owner: string, report: FinalReport): Promise<boolean> {
    const { UpdateItemCommand } = await commands();
    return this.#conditional('storeResult', () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [K]: S(runId) },
          // Leaves the open-claims index: a run with a result is no longer the sweeper's business.
          UpdateExpression: `SET #report = :report, #reportedAt = :now REMOVE #${OPEN}`,
          ConditionExpression: '#owner = :owner AND attribute_not_exists(#deliveredAt)',
          ExpressionAttributeNames: names('report', 'reportedAt', OPEN, 'owner', 'deliveredAt'),
          ExpressionAttributeValues: { ':report': S(JSON.stringify(report)), ':now': N(this.#now()), ':owner': S(owner) },
        })
      )
    );
  }

  async markDelivered(runId: string): Promise<void> {
    const { UpdateItemCommand } = await commands();
    await this.#conditional('markDelivered', () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [K]: S(runId) },
          UpdateExpression: `SET #deliveredAt = if_not_exists(#deliveredAt, :now) REMOVE #${OPEN}`,
          // Never creates an entry: one that is gone has nothing to mark.
          ConditionExpression: `attribute_exists(#${K})`,
          ExpressionAttributeNames: names('deliveredAt', OPEN, K),
          ExpressionAttributeValues: { ':now': N(this.#now()) },
        })
      )
    );
  }

  async release(claim: LedgerEntry): Promise<void> {
    const { DeleteItemCommand, UpdateItemCommand } = await commands();
    const condition = {
      ConditionExpression: '#owner = :owner AND attribute_not_exists(#report)',
      ExpressionAttributeValues: { ':owner': S(claim.owner) } as Item,
    };
    const key = { [K]: S(claim.runId) };
    await this.#conditional('release', () =>
      claim.attempt === 1
        ? this.#client.send(
            new DeleteItemCommand({
              TableName: this.#table,
              Key: key,
              ...condition,
              ExpressionAttributeNames: names('owner', 'report'),
            })
          )
        : this.#client.send(
            new UpdateItemCommand({
              TableName: this.#table,
              Key: key,
              UpdateExpression: 'SET #expiresAt = :zero',
              ...condition,
              ExpressionAttributeNames: names('owner', 'report', 'expiresAt'),
              ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':zero': N(0) },
            })
          )
    );
  }

  async get(runId: string): Promise<LedgerEntry | undefined> {
    const { GetItemCommand } = await commands();
    let item: Item | undefined;
    try {
      const out = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { [K]: S(runId) }, ConsistentRead: true }));
      item = out.Item;
    } catch (error) {
      throw ledgerError(error, 'get', this.#table);
    }
    return item === undefined ? undefined : this.#entry(item);
  }

  async listExpired(now: number, limit = 100): Promise<LedgerEntry[]> {
    const { QueryCommand } = await commands();
    const index = RunLedgerTable.openClaimsIndex;
    try {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: index.name,
          KeyConditionExpression: `#${index.partitionKey.name} = :open AND #${index.sortKey.name} < :now`,
          ExpressionAttributeNames: names(index.partitionKey.name, index.sortKey.name),
          ExpressionAttributeValues: { ':open': S(OPEN_CLAIM), ':now': N(now) },
          ScanIndexForward: true,
          Limit: limit,
        })
      );
      return (out.Items ?? []).map((item) => this.#entry(item));
    } catch (error) {
      if (error instanceof RunLedgerError) throw error;
      throw ledgerError(error, 'listExpired', this.#table);
    }
  }

  /** Runs a conditional write: true when it applied, false when its condition did not hold. */
  async #conditional(operation: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw ledgerError(error, operation, this.#table);
    }
  }

  /** Reads an item back into an entry, checked against the schema. */
  #entry(item: Item): LedgerEntry {
    const plain: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(item)) {
      if (name === OPEN || name === TTL) continue;
      if (NUMBERS.has(name) && value.N !== undefined) plain[name] = Number(value.N);
      else if (name === 'report' && value.S !== undefined) plain[name] = safeJson(value.S);
      else if (value.S !== undefined) plain[name] = value.S;
    }
    const parsed = LedgerEntrySchema.safeParse(plain);
    if (!parsed.success) {
      throw new RunLedgerError(`Run ledger item in table ${this.#table} is not a ledger entry: ${describeIssues(parsed.error)}`, false);
    }
    return parsed.data;
  }
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export type { DynamoRunLedgerOptions };
export { DynamoRunLedger };
