import { describe, expect, it } from '@jest/globals';
import { loadDeployConfig } from '../../src/cdk/config.js';
import { orgIdOf } from '../../src/cli/invoke/kafka.js';
import { loadConfig } from '../../src/config.js';
import { loadConsumerConfig } from '../../src/consumer/config.js';

/** Whether each reader of an org id takes `orgId`; they must all agree. */
const verdicts = (orgId: string): Record<string, boolean> => {
  const accepts = (read: () => unknown): boolean => {
    try {
      read();
      return true;
    } catch {
      return false;
    }
  };
  const group = `${orgId}.lambda`;
  return {
    handler: accepts(() => loadConfig({ PORT_ORG_ID: orgId })),
    consumer: accepts(() =>
      loadConsumerConfig({ PORT_ORG_ID: orgId, KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p', KAFKA_CONSUMER_GROUP: group })
    ),
    cdk: accepts(() => {
      const values: Record<string, unknown> = { orgId, portRegion: 'eu', consumerGroupId: group };
      loadDeployConfig((key) => values[key], {});
    }),
    message: orgIdOf({ trigger: { by: { orgId } } }) === orgId,
  };
};

describe('Port org ids', () => {
  // org_example is the id of Port's own timer example; the cdk config refused it (8-64 characters) while the handler took it.
  it.each(['org_sYG4DOJZNGy8bYnt', 'org_example', 'org_a'])('%s is accepted by every reader', (orgId) => {
    expect(verdicts(orgId)).toEqual({ handler: true, consumer: true, cdk: true, message: true });
  });

  it.each(['acme', 'org_', 'ORG_abc', 'org_a-b', 'org_abc.runs'])('%s is refused by every reader', (orgId) => {
    expect(verdicts(orgId)).toEqual({ handler: false, consumer: false, cdk: false, message: false });
  });
});
