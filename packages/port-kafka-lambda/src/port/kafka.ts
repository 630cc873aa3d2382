/**
 * What Port fixes about its hosted Kafka (Port docs, "Kafka" backend page):
 * the two topics of an org and which consumer groups an org's user may join
 * (the brokers per region are in ./regions.ts). The handler, the CDK stack and
 * the long-lived consumer all use these, so a change in Port's setup is made
 * here once.
 */

/** `host:port` with a DNS name or IPv4 address; Kafka bootstrap lists use this form. */
const BROKER_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:(\d{1,5})$/;

/** The characters Kafka itself accepts in a group id, and Lambda's 200-character cap. */
const CONSUMER_GROUP_PATTERN = /^[a-zA-Z0-9-/*:_+=.@]{1,200}$/;

/** An org's topics: action runs and automations, and catalog changes. */
const portTopics = (orgId: string) => ({ runs: `${orgId}.runs`, changeLog: `${orgId}.change.log` }) as const;

/**
 * Port's ACLs let an org's user join only groups named `<ORG_ID>.<something>`
 * or exactly its own username; any other id fails with a group authorization
 * error at the broker, so it is better refused before connecting.
 */
const isPortConsumerGroup = (groupId: string, orgId: string, username?: string): boolean =>
  (groupId.startsWith(`${orgId}.`) && groupId.length > orgId.length + 1) || (username !== undefined && groupId === username);

export { BROKER_PATTERN, CONSUMER_GROUP_PATTERN, isPortConsumerGroup, portTopics };
