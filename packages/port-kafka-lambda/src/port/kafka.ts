/**
 * What Port fixes about its hosted Kafka (Port docs, "Kafka" backend page):
 * the two topics of an org and which consumer groups an org's user may join
 * (the brokers per region are in ./regions.ts). The handler, the CDK stack,
 * the long-lived consumer and the CLI all use these, so a change in Port's
 * setup is made here once.
 */

/** `host:port` with a DNS name or IPv4 address; Kafka bootstrap lists use this form. */
const BROKER_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:(\d{1,5})$/;

/** The characters Kafka itself accepts in a group id, and Lambda's 200-character cap. */
const CONSUMER_GROUP_PATTERN = /^[a-zA-Z0-9-/*:_+=.@]{1,200}$/;

/** The two kinds of topic Port writes for an org: action runs and automations, and catalog changes. */
const TopicKind = { Runs: 'runs', ChangeLog: 'change.log' } as const;
type TopicKind = (typeof TopicKind)[keyof typeof TopicKind];

/** Port names an org's topics `<ORG_ID>.runs` and `<ORG_ID>.change.log`. */
const topicName = (orgId: string, kind: TopicKind): string => `${orgId}.${kind}`;

/** An org's two topics by name. */
const portTopics = (orgId: string) =>
  ({ runs: topicName(orgId, TopicKind.Runs), changeLog: topicName(orgId, TopicKind.ChangeLog) }) as const;

/**
 * Classifies a topic by Port's naming. When the org id is configured the
 * prefix must match too, so a mapping pointed at another org's topic is
 * caught, not obeyed.
 */
const topicKind = (topic: string, orgId?: string): TopicKind | undefined => {
  for (const kind of [TopicKind.Runs, TopicKind.ChangeLog]) {
    const suffix = `.${kind}`;
    if (!topic.endsWith(suffix)) continue;
    const prefix = topic.slice(0, -suffix.length);
    if (prefix.length === 0) return undefined;
    if (orgId !== undefined && prefix !== orgId) return undefined;
    return kind;
  }
  return undefined;
};

/**
 * Port's ACLs let an org's user join only groups named `<ORG_ID>.<something>`
 * or exactly its own username; any other id fails with a group authorization
 * error at the broker, so it is better refused before connecting.
 */
const isPortConsumerGroup = (groupId: string, orgId: string, username?: string): boolean =>
  (groupId.startsWith(`${orgId}.`) && groupId.length > orgId.length + 1) || (username !== undefined && groupId === username);

export { BROKER_PATTERN, CONSUMER_GROUP_PATTERN, isPortConsumerGroup, portTopics, TopicKind, topicKind, topicName };
