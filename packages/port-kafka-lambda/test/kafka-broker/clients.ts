import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type AclEntry, type Admin, type Kafka, type KafkaConfig, type Producer } from 'kafkajs';
import type { ScramUser } from './broker.js';

// kafkajs is CommonJS and builds module.exports with member expressions and a spread, which
// Node's CJS named-export detection cannot see: named value imports fail under plain Node ESM
// (tsx) even though Jest's loader accepts them. The default import is the whole object.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Partitioners, ResourcePatternTypes, logLevel } = kafkajs;

/** What a client needs to reach the test broker; a started KafkaBroker satisfies it. */
export interface BrokerEndpoint {
  bootstrapServers: string;
  ca: string;
  internalBootstrapServers: string;
}

/**
 * A kafkajs client for `user` over SASL_SSL + SCRAM-SHA-512, trusting only the broker's CA,
 * or for the unauthenticated superuser INTERNAL listener when `user` is 'internal'.
 * kafkajs logging is off by default: its retry warnings would flood Jest output.
 */
export function createKafka(broker: BrokerEndpoint, user: ScramUser | 'internal', overrides: Partial<KafkaConfig> = {}): Kafka {
  const base: Omit<KafkaConfig, 'brokers'> = {
    clientId: 'kafka-broker-test',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2_000 },
  };
  if (user === 'internal') {
    return new kafkajs.Kafka({ ...base, brokers: broker.internalBootstrapServers.split(','), ...overrides });
  }
  return new kafkajs.Kafka({
    ...base,
    brokers: broker.bootstrapServers.split(','),
    // Node verifies the IP SAN against 127.0.0.1 (kafkajs passes no servername for IPs).
    ssl: { ca: [broker.ca] },
    sasl: { mechanism: 'scram-sha-512', username: user.username, password: user.password },
    ...overrides,
  });
}

/** Runs `fn` with a connected admin client and always disconnects. */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Grants exactly what Port's hosted cluster grants the user of org `orgId` (e.g.
 * `org_ABC123`), and nothing else:
 *
 * - READ (which implies DESCRIBE) on the two LITERAL topics `<orgId>.runs` and
 *   `<orgId>.change.log`. Literal, not a `<orgId>.` prefix: Port grants only these two, and
 *   a prefix would let the user read any other topic that happens to start with the org id,
 *   which the hosted cluster denies (TOPIC_AUTHORIZATION_FAILED).
 * - READ on consumer groups whose id starts with `<orgId>.` (PREFIXED). The trailing dot is
 *   part of the prefix so that org `ORG1` does not also get the groups of org `ORG10`.
 * - READ on the consumer group named exactly like the username (LITERAL): Port allows that
 *   group too, so a consumer configured with `groupId = username` must work here as well.
 * - DESCRIBE_CONFIGS on the cluster, which Lambda's Kafka poller requires.
 *
 * No WRITE anywhere: the org user is read-only. `principal` is the SCRAM username.
 */
export function portOrgAcls(principal: string, orgId: string): AclEntry[] {
  // Kafka's legal resource characters. A trailing dot is the old `readPrefix` form ("ORG.")
  // and would yield topics like "ORG..runs", which Port never creates.
  if (!/^[a-zA-Z0-9._-]+$/.test(orgId) || orgId.endsWith('.')) {
    throw new Error(`orgId "${orgId}" must be a Port org id such as "org_ABC123" (no trailing dot).`);
  }
  const base = { principal: `User:${principal}`, host: '*', permissionType: AclPermissionTypes.ALLOW };
  const read = { ...base, operation: AclOperationTypes.READ };
  return [
    { ...read, resourceType: AclResourceTypes.TOPIC, resourceName: `${orgId}.runs`, resourcePatternType: ResourcePatternTypes.LITERAL },
    {
      ...read,
      resourceType: AclResourceTypes.TOPIC,
      resourceName: `${orgId}.change.log`,
      resourcePatternType: ResourcePatternTypes.LITERAL,
    },
    { ...read, resourceType: AclResourceTypes.GROUP, resourceName: `${orgId}.`, resourcePatternType: ResourcePatternTypes.PREFIXED },
    { ...read, resourceType: AclResourceTypes.GROUP, resourceName: principal, resourcePatternType: ResourcePatternTypes.LITERAL },
    {
      ...base,
      resourceType: AclResourceTypes.CLUSTER,
      resourceName: 'kafka-cluster',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.DESCRIBE_CONFIGS,
    },
  ];
}

/**
 * Creates the ACLs and waits until describeAcls lists them all: ACLs are metadata records
 * applied asynchronously, so the next request could otherwise still be denied.
 */
export async function createAclsAndWait(admin: Admin, acl: AclEntry[], timeoutMs = 10_000): Promise<void> {
  if (acl.length === 0) return;
  await admin.createAcls({ acl });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const have = new Set(
      resources.flatMap((r) =>
        r.acls.map((a) => `${r.resourceType}|${r.resourceName}|${r.resourcePatternType}|${a.principal}|${a.operation}|${a.permissionType}`)
      )
    );
    const missing = acl.filter(
      (a) => !have.has(`${a.resourceType}|${a.resourceName}|${a.resourcePatternType}|${a.principal}|${a.operation}|${a.permissionType}`)
    );
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`ACLs not visible after ${timeoutMs} ms: ${JSON.stringify(missing)}`);
    await sleep(100);
  }
}

/**
 * What kafkajs reports while the group coordinator cannot serve groups yet: `__consumer_offsets`
 * does not exist (the first FindCoordinator creates it), has no leader yet, or its partition is
 * still being loaded. KafkaJSGroupCoordinatorNotFound is kafkajs giving up on the first two.
 */
const COORDINATOR_NOT_READY = new Set(['GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP']);

function coordinatorNotReady(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, type, cause } = error as { name?: unknown; type?: unknown; cause?: unknown };
  // With retries: 0 kafkajs wraps a retriable protocol error in this, the original as `cause`.
  if (name === 'KafkaJSNumberOfRetriesExceeded') return coordinatorNotReady(cause);
  return name === 'KafkaJSGroupCoordinatorNotFound' || (typeof type === 'string' && COORDINATOR_NOT_READY.has(type));
}

/** Any group id: with one `__consumer_offsets` partition every group has the same coordinator. */
const PROBE_GROUP = 'harness.coordinator-probe';

/**
 * Waits until the group coordinator serves requests, and returns how long that took.
 *
 * A fresh broker logs "Kafka Server started" before `__consumer_offsets` exists; the first
 * FindCoordinator creates it, and its partition is then loaded in the background. Until that
 * is done every group request fails with "The coordinator is loading" (COORDINATOR_LOAD_IN_PROGRESS),
 * which a consumer with few retries turns into a crash: on 2 busy cores the loading outlasts
 * kafkajs' ~1.5 s of retries. DescribeGroups goes through the same coordinator as JoinGroup
 * and OffsetCommit, so once it answers the consumers' group requests will too (the broker
 * has a single `__consumer_offsets` partition, so no group lands on one still loading).
 * One attempt per poll (retries: 0): the loop, not kafkajs, decides how long to wait.
 */
export async function waitForGroupCoordinator(broker: BrokerEndpoint, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  return withAdmin(createKafka(broker, 'internal', { retry: { retries: 0 } }), async (admin) => {
    // Loads the broker list: without it (and without retries) the coordinator lookup fails at
    // once with "No brokers in the broker pool".
    await admin.describeCluster();
    for (;;) {
      try {
        await admin.describeGroups([PROBE_GROUP]);
        return Date.now() - started;
      } catch (error) {
        if (!coordinatorNotReady(error)) throw error;
        if (Date.now() > deadline) {
          throw new Error(`The group coordinator was not ready within ${timeoutMs} ms.`, { cause: error });
        }
      }
      await sleep(100);
    }
  });
}

/**
 * An idempotent producer, by default over the superuser INTERNAL listener. kafkajs on Node 24
 * sometimes times a request out at once (its request queue computes a negative timer) and
 * resends it; without idempotence the broker would store the message twice and tests would
 * count phantom records.
 */
export function createProducer(broker: BrokerEndpoint, user: ScramUser | 'internal' = 'internal'): Producer {
  return createKafka(broker, user).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
}

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
}

/** Creates topics (replication factor 1: single node) and waits for their leaders. */
export async function createTopics(broker: BrokerEndpoint, topics: readonly TopicSpec[]): Promise<void> {
  await withAdmin(createKafka(broker, 'internal'), async (admin) => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions ?? 1, replicationFactor: 1 })),
    });
  });
}
