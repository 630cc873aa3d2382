import type { LambdaKafkaRecord, LambdaSelfManagedKafkaEvent } from '../../kafka/event.js';
import { isOrgId } from '../../port/org.js';

/**
 * Builds Lambda Kafka events from Port messages, the way Lambda delivers
 * records of Port's topics: base64 JSON values, `"<topic>-<partition>"` keys.
 * Shared by `invoke` (bare messages) and `to-kafka-event`.
 */

/** Used when neither a flag, PORT_ORG_ID nor the message names the org. */
const FALLBACK_ORG_ID = 'org_local';

/** Port's brokers as Lambda reports them for a self-managed Kafka source (placeholder hosts). */
const SAMPLE_BOOTSTRAP_SERVERS = 'b-1-public.port-kafka.example:9196,b-2-public.port-kafka.example:9196';

interface MessageToWrap {
  /** The Port message, sent as JSON. */
  value: unknown;
  topic: string;
  partition: number;
  /** Defaults to one past the previous record of the same partition, starting at 0. */
  offset?: number;
  /** Record timestamp (ms); defaults to the message's `trigger.at`, else now. */
  timestamp?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The org a message names in `trigger.by.orgId`, when it does. */
const orgIdOf = (message: unknown): string | undefined => {
  const trigger = isRecord(message) ? message.trigger : undefined;
  const by = isRecord(trigger) ? trigger.by : undefined;
  const orgId = isRecord(by) ? by.orgId : undefined;
  return isOrgId(orgId) ? orgId : undefined;
};

/** A stable timestamp (the trigger time) so converted files do not change on every run. */
const triggerTime = (message: unknown): number | undefined => {
  const trigger = isRecord(message) ? message.trigger : undefined;
  const at = isRecord(trigger) ? trigger.at : undefined;
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

/** One Lambda Kafka event holding the messages, grouped by topic-partition in the order given. */
const toKafkaEvent = (messages: readonly MessageToWrap[], now: () => number = Date.now): LambdaSelfManagedKafkaEvent => {
  const records: Record<string, LambdaKafkaRecord[]> = {};
  const nextOffset = new Map<string, number>();
  for (const m of messages) {
    const key = `${m.topic}-${m.partition}`;
    const offset = m.offset ?? nextOffset.get(key) ?? 0;
    nextOffset.set(key, offset + 1);
    (records[key] ??= []).push({
      topic: m.topic,
      partition: m.partition,
      offset,
      timestamp: m.timestamp ?? triggerTime(m.value) ?? now(),
      timestampType: 'CREATE_TIME',
      // Port sets no key; null is one way Lambda spells "none" (the consumer omits it: both are covered).
      key: null,
      value: encodeJson(m.value),
      headers: [],
    });
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers: SAMPLE_BOOTSTRAP_SERVERS, records };
};

export type { MessageToWrap };
export { FALLBACK_ORG_ID, orgIdOf, toKafkaEvent };
