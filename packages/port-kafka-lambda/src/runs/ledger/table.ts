/**
 * The run ledger's DynamoDB table, in one place: the CDK construct creates it
 * from this and the tests create theirs from it, so the two cannot drift. Plain
 * data on purpose: the CDK app and the Lambda both import it, and neither should
 * pull the other's libraries in for a few names.
 */
const RunLedgerTable = {
  /** Partition key: the Port run id (`r_...`). No sort key: one item per run. */
  partitionKey: { name: 'runId', type: 'S' },
  /**
   * DynamoDB's TTL attribute (epoch seconds). Items go some days after the run
   * was claimed, long after Kafka stops redelivering the record.
   */
  timeToLiveAttribute: 'ttl',
  /**
   * Sparse index of open claims (claimed, no result yet): only those items carry
   * `open`, so the sweeper's query reads the few runs in flight, not the whole
   * table as a Scan would. All items share the one `open` value, which caps index
   * writes at a single partition's ~1,000/s (two per run: claim and result), far
   * above the rate Port runs arrive at.
   */
  openClaimsIndex: {
    name: 'open-claims',
    partitionKey: { name: 'open', type: 'S' },
    sortKey: { name: 'expiresAt', type: 'N' },
    /** Entries are small, and the sweeper wants all of an open claim: no second read per run. */
    projection: 'ALL',
  },
} as const;

/** The value of `open` on an open claim (any constant would do; the index is keyed on it). */
const OPEN_CLAIM = 'claim';

/**
 * The table as a DynamoDB CreateTable request (on-demand), for tests and local
 * servers. Structurally typed so this file needs no SDK; TTL is a separate call
 * in DynamoDB (UpdateTimeToLive) and only matters for cost, not for the ledger.
 */
const createRunLedgerTableInput = (tableName: string) => {
  const { partitionKey, openClaimsIndex: index } = RunLedgerTable;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [partitionKey, index.partitionKey, index.sortKey].map((k) => ({
      AttributeName: k.name,
      AttributeType: k.type,
    })),
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: index.projection },
      },
    ],
  };
};

export { createRunLedgerTableInput, OPEN_CLAIM, RunLedgerTable };
