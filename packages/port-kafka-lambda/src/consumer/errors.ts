import { PortKafkaError } from '../errors.js';
import { portTopics } from '../port/kafka.js';

/**
 * The consumer could not join or keep reading; `message` is the one line a
 * user can act on, `cause` keeps the client's error tree for debugging.
 */
class KafkaConsumeError extends PortKafkaError {
  readonly reason: KafkaFailureReason;
  constructor(reason: KafkaFailureReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KafkaConsumeError';
    this.reason = reason;
  }
}

type KafkaFailureReason =
  | 'authentication'
  | 'group-authorization'
  | 'topic-authorization'
  | 'unknown-topic'
  | 'tls'
  | 'unreachable'
  | 'other';

/** Kafka protocol error codes (org.apache.kafka.common.protocol.Errors) the consumer explains. */
const KafkaErrorCode = {
  TopicAuthorizationFailed: 29,
  GroupAuthorizationFailed: 30,
  SaslAuthenticationFailed: 58,
} as const;

interface ErrorNode {
  message: string;
  code?: unknown;
  apiCode?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/**
 * The client wraps failures in layers (MultipleErrors → NetworkError →
 * AuthenticationError → ProtocolError, one branch per retry and broker), so
 * the useful fact is a leaf somewhere in the tree; collect all nodes.
 */
const flatten = (error: unknown, into: ErrorNode[] = [], depth = 0, seen = new Set<object>()): ErrorNode[] => {
  // Each node once: a cycle, or a node shared by many branches, must not multiply the walk.
  if (depth > 12 || typeof error !== 'object' || error === null || seen.has(error)) return into;
  seen.add(error);
  const node = error as ErrorNode;
  into.push(node);
  if (Array.isArray(node.errors)) for (const child of node.errors) flatten(child, into, depth + 1, seen);
  if (node.cause !== undefined) flatten(node.cause, into, depth + 1, seen);
  return into;
};

/** A message quoted from the tree may span lines; the explanation is one. */
const oneLine = (text: unknown): string =>
  String(text)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

interface ExplainContext {
  brokers: readonly string[];
  username: string;
  groupId: string;
  topics: readonly string[];
  orgId: string;
}

/**
 * Turns whatever the Kafka client threw into one line naming the cause and the
 * fix. The password is never part of it (the client never puts it in errors,
 * and nothing here reads it).
 */
const explainKafkaError = (error: unknown, ctx: ExplainContext): KafkaConsumeError => {
  if (error instanceof KafkaConsumeError) return error;
  const nodes = flatten(error);
  const has = (predicate: (n: ErrorNode) => boolean) => nodes.find(predicate);
  const brokers = ctx.brokers.join(',');

  if (has((n) => n.apiCode === KafkaErrorCode.SaslAuthenticationFailed || n.code === 'PLT_KFK_AUTHENTICATION')) {
    return new KafkaConsumeError(
      'authentication',
      `Kafka rejected the credentials of user "${ctx.username}" (SASL SCRAM-SHA-512 at ${brokers}): check KAFKA_USERNAME and KAFKA_PASSWORD`,
      { cause: error }
    );
  }
  if (has((n) => n.apiCode === KafkaErrorCode.GroupAuthorizationFailed)) {
    return new KafkaConsumeError(
      'group-authorization',
      `Kafka denied user "${ctx.username}" the consumer group "${ctx.groupId}": Port only allows ${ctx.orgId}.<name> or the username; check KAFKA_CONSUMER_GROUP`,
      { cause: error }
    );
  }
  if (has((n) => n.apiCode === KafkaErrorCode.TopicAuthorizationFailed)) {
    return new KafkaConsumeError(
      'topic-authorization',
      `Kafka denied user "${ctx.username}" reading ${ctx.topics.join(' and ')}: Port grants each org its own ${portTopics(ctx.orgId).runs} and ${portTopics(ctx.orgId).changeLog}; check PORT_ORG_ID and that the Kafka integration is enabled in Port`,
      { cause: error }
    );
  }
  const unknownTopic = has((n) => typeof n.message === 'string' && /^Unknown topic /.test(n.message));
  if (unknownTopic) {
    return new KafkaConsumeError(
      'unknown-topic',
      `Kafka has no topic ${oneLine(unknownTopic.message)
        .replace(/^Unknown topic /, '')
        .replace(/\.$/, '')}: check PORT_ORG_ID, and KAFKA_CONSUME_CHANGE_LOG if Port does not send catalog changes to Kafka for this org`,
      { cause: error }
    );
  }
  const tls = has((n) => typeof n.code === 'string' && TLS_CODES.has(n.code));
  if (tls) {
    return new KafkaConsumeError(
      'tls',
      `TLS to ${brokers} failed (${String(tls.code)}: ${oneLine(tls.message)}): set KAFKA_CA_FILE to the CA that signed the brokers' certificate`,
      { cause: error }
    );
  }
  const network = has((n) => typeof n.code === 'string' && NETWORK_CODES.has(n.code));
  if (network || has((n) => n.code === 'PLT_KFK_NETWORK' || n.code === 'PLT_KFK_TIMEOUT')) {
    const detail = network ? ` (${String(network.code)})` : '';
    return new KafkaConsumeError(
      'unreachable',
      `Cannot reach the Kafka brokers ${brokers}${detail}: check KAFKA_BROKERS or PORT_REGION, and that this network allows outbound TLS to port 9196`,
      { cause: error }
    );
  }
  const leaf = nodes.at(-1)?.message ?? String(error);
  return new KafkaConsumeError('other', `Kafka consumer failed: ${oneLine(leaf)}`, { cause: error });
};

export type { ExplainContext, KafkaFailureReason };
export { explainKafkaError, KafkaConsumeError };
