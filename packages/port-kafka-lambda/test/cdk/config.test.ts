import { describe, expect, it } from '@jest/globals';
import { DeployConfigError, envName } from '../../src/cdk/config.js';
import { PORT_REGIONS } from '../../src/port/regions.js';
import { configOf, ORG } from './helpers.js';

/** The lines of the DeployConfigError the configuration raises. */
function errorLines(overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    configOf(overrides, env);
  } catch (error) {
    if (error instanceof DeployConfigError) return error.lines;
    throw error;
  }
  throw new Error('expected a DeployConfigError');
}

describe('deployment configuration: defaults', () => {
  it('derives topics, brokers and defaults from org id and region', () => {
    const c = configOf();
    expect(c.topics).toEqual({ runs: `${ORG}.runs` });
    expect(c.brokers).toEqual(PORT_REGIONS.eu.brokers);
    expect(c).toMatchObject({
      stackName: 'PortKafkaConsumer',
      batchSize: 50,
      startingPosition: 'LATEST',
      functionTimeoutSeconds: 300,
      logRetentionDays: 30,
      unknownAction: 'skip',
      partitionConcurrency: 8,
      parkingQueue: true,
      filterActions: false,
      kafkaSecret: { kind: 'create' },
      portSecret: { kind: 'create' },
    });
    expect(c.maxBatchingWindowSeconds).toBeUndefined();
    expect(c.provisioned).toBeUndefined();
  });

  it('uses the US brokers for portRegion us and adds change.log when asked', () => {
    const c = configOf({ portRegion: 'us', consumeChangeLog: 'true' });
    expect(c.brokers).toEqual([
      'b-1-public.production.5v06xt.c21.kafka.us-east-1.amazonaws.com:9196',
      'b-2-public.production.5v06xt.c21.kafka.us-east-1.amazonaws.com:9196',
      'b-3-public.production.5v06xt.c21.kafka.us-east-1.amazonaws.com:9196',
    ]);
    expect(c.topics.changeLog).toBe(`${ORG}.change.log`);
  });

  it('keeps the mappings disabled while the stack creates the Kafka secret, enabled once imported', () => {
    expect(configOf().kafkaEnabled).toBe(false);
    expect(configOf({ kafkaEnabled: 'true' }).kafkaEnabled).toBe(true);
    expect(configOf({ kafkaSecretName: 'port/kafka' }).kafkaEnabled).toBe(true);
  });

  it('coerces strings from -c flags: numbers, booleans, comma-separated lists', () => {
    const c = configOf({ batchSize: '500', parkingQueue: 'false', brokers: 'k1.example.com:9096, k2.example.com:9096' });
    expect(c.batchSize).toBe(500);
    expect(c.parkingQueue).toBe(false);
    expect(c.brokers).toEqual(['k1.example.com:9096', 'k2.example.com:9096']);
  });

  it('lets the environment override context values', () => {
    expect(envName('consumerGroupId')).toBe('PORT_KAFKA_CONSUMER_GROUP_ID');
    const c = configOf({ batchSize: 10 }, { PORT_KAFKA_BATCH_SIZE: '25', PORT_KAFKA_PORT_REGION: 'us' });
    expect(c.batchSize).toBe(25);
    expect(c.portRegion).toBe('us');
  });

  it('accepts the Kafka username as consumer group when kafkaUsername says so', () => {
    const c = configOf({ consumerGroupId: 'port-user-42', kafkaUsername: 'port-user-42' });
    expect(c.consumerGroupId).toBe('port-user-42');
    // The username cannot take a suffix: the runs mapping joins it as it is.
    expect(c.consumerGroups).toEqual({ runs: 'port-user-42' });
  });

  it('fills provisioned-mode defaults: bounded retries, bisect, partial batch, on-failure queue', () => {
    expect(configOf({ provisioned: true }).provisioned).toEqual({
      minimumPollers: 1,
      maximumPollers: 5,
      retryAttempts: 5,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailureDestination: true,
      esmMetrics: true,
      esmLogLevel: 'WARN',
    });
  });

  it('turns on the dashboard, leaves tracing off and creates no password parameter by default', () => {
    expect(configOf()).toMatchObject({ dashboard: true, tracing: false });
    expect(configOf().kafkaPasswordParameter).toBeUndefined();
  });
});

describe('deployment configuration: one clear line per bad value', () => {
  it('rejects an org id that is not one', () => {
    expect(errorLines({ orgId: 'acme', consumerGroupId: 'acme.lambda' })).toEqual([
      'orgId: "acme" is not a Port organization id; expected org_ followed by letters and digits, e.g. org_sYG4DOJZNGy8bYnt',
    ]);
  });

  it('rejects a region that is neither eu nor us', () => {
    expect(errorLines({ portRegion: 'eu-west-1' })).toEqual(['portRegion: "eu-west-1" is not a Port region; expected eu or us']);
  });

  it('rejects a consumer group id that neither starts with <ORG_ID>. nor equals the Kafka username', () => {
    expect(errorLines({ consumerGroupId: 'my-group', kafkaUsername: 'port-user-42' })).toEqual([
      `consumerGroupId: "my-group" is not accepted by Port; expected ${ORG}.<name> or the Kafka username (set kafkaUsername to use the username)`,
    ]);
    // The bare prefix is not a group name either.
    expect(errorLines({ consumerGroupId: `${ORG}.` })).toHaveLength(1);
  });

  it('rejects a broker without a port', () => {
    expect(errorLines({ brokers: ['k1.example.com:9096', 'k2.example.com'] })).toEqual([
      'brokers[1]: "k2.example.com" is not host:port; expected e.g. b-1-public.publicclusterprod.t9rw6w.c1.kafka.eu-west-1.amazonaws.com:9196',
    ]);
  });

  it('rejects a batch size over 10,000', () => {
    expect(errorLines({ batchSize: 10_001 })).toEqual([
      'batchSize: 10001 is out of range; expected an integer from 1 to 10000 (the Kafka event source maximum)',
    ]);
  });

  it('rejects a secret ARN that is not one (or lacks the random suffix)', () => {
    expect(errorLines({ kafkaSecretArn: 'port/kafka' })).toEqual([
      'kafkaSecretArn: "port/kafka" is not a complete Secrets Manager secret ARN; expected arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (or set kafkaSecretName to import by name)',
    ]);
    expect(errorLines({ portSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/api' })[0]).toMatch(
      /^portSecretArn: .* is not a complete Secrets Manager secret ARN/
    );
  });

  it('rejects a timeout above the 14-minute Kafka cap or too short for the run deadline logic', () => {
    expect(errorLines({ functionTimeoutSeconds: 30 })[0]).toMatch(/^functionTimeoutSeconds: 30 is out of range/);
    expect(errorLines({ functionTimeoutSeconds: 900 })).toEqual([
      'functionTimeoutSeconds: 900 is out of range; expected an integer from 60 to 840 seconds (Kafka event sources allow at most 14 minutes)',
    ]);
  });

  it('rejects retry controls outside provisioned mode', () => {
    expect(errorLines({ retryAttempts: 3, reportBatchItemFailures: true })).toEqual([
      'retryAttempts: needs provisioned=true; AWS offers this for Kafka event sources only in provisioned mode',
      'reportBatchItemFailures: needs provisioned=true; AWS offers this for Kafka event sources only in provisioned mode',
    ]);
  });

  it('requires a timestamp for AT_TIMESTAMP', () => {
    expect(errorLines({ startingPosition: 'AT_TIMESTAMP' })).toEqual([
      'startingPositionTimestamp: is required when startingPosition is AT_TIMESTAMP; expected a Unix time in seconds',
    ]);
  });

  it('rejects importing one secret both by ARN and by name', () => {
    expect(
      errorLines({
        kafkaSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/kafka-AbCdEf',
        kafkaSecretName: 'port/kafka',
      })
    ).toEqual(['kafkaSecretArn: set together with kafkaSecretName; expected only one of them']);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    expect(errorLines({ logRetentionDays: 45 })[0]).toMatch(
      /^logRetentionDays: 45 is not a CloudWatch Logs retention; expected one of 1, 3, 5/
    );
  });

  it('reports every missing required value, one line each', () => {
    expect(errorLines({ orgId: undefined, portRegion: '', consumerGroupId: undefined })).toEqual([
      'orgId: is required; expected your Port organization id, e.g. org_sYG4DOJZNGy8bYnt',
      'portRegion: is required; expected eu or us (the region of your Port account)',
      'consumerGroupId: is required; expected the consumer group id Port gave you (<ORG_ID>.<name> or your Kafka username)',
    ]);
  });

  it('puts every line in the error message', () => {
    expect(() => configOf({ portRegion: 'apac', batchSize: 0 })).toThrow(
      /Invalid deployment configuration:\n {2}- portRegion: "apac" is not a Port region; expected eu or us\n {2}- batchSize: 0 is out of range/
    );
  });
});

describe('deployment configuration: one consumer group per mapping', () => {
  it('derives <consumerGroupId>-runs and <consumerGroupId>-changes', () => {
    expect(configOf().consumerGroups).toEqual({ runs: `${ORG}.lambda-runs` });
    expect(configOf({ consumeChangeLog: true }).consumerGroups).toEqual({ runs: `${ORG}.lambda-runs`, changeLog: `${ORG}.lambda-changes` });
  });

  it("keeps an existing deployment's group for the runs mapping with runsConsumerGroupId", () => {
    const c = configOf({ consumeChangeLog: true, runsConsumerGroupId: `${ORG}.lambda` });
    expect(c.consumerGroups).toEqual({ runs: `${ORG}.lambda`, changeLog: `${ORG}.lambda-changes` });
  });

  it('takes an explicit change.log group, and the username for runs with an <ORG_ID>. group for change.log', () => {
    const c = configOf({
      consumerGroupId: 'port-user-42',
      kafkaUsername: 'port-user-42',
      consumeChangeLog: true,
      changeLogConsumerGroupId: `${ORG}.changes`,
    });
    expect(c.consumerGroups).toEqual({ runs: 'port-user-42', changeLog: `${ORG}.changes` });
  });

  it('refuses explicit groups Port would not let the org join, one line each', () => {
    expect(errorLines({ consumeChangeLog: true, runsConsumerGroupId: 'other.runs', changeLogConsumerGroupId: 'org_x.changes' })).toEqual([
      `runsConsumerGroupId: "other.runs" is not accepted by Port; expected ${ORG}.<name> or the Kafka username (set kafkaUsername to use the username)`,
      `changeLogConsumerGroupId: "org_x.changes" is not accepted by Port; expected ${ORG}.<name> or the Kafka username (set kafkaUsername to use the username)`,
    ]);
  });

  it('refuses one group for both mappings', () => {
    expect(errorLines({ consumeChangeLog: true, runsConsumerGroupId: `${ORG}.shared`, changeLogConsumerGroupId: `${ORG}.shared` })).toEqual(
      [
        `changeLogConsumerGroupId: "${ORG}.shared" is the group of both mappings; AWS requires each Kafka event source mapping to have its own`,
      ]
    );
    // A derived id can collide with an explicit one too.
    expect(errorLines({ consumeChangeLog: true, runsConsumerGroupId: `${ORG}.lambda-changes` })).toEqual([
      `runsConsumerGroupId: "${ORG}.lambda-changes" is the group of both mappings; AWS requires each Kafka event source mapping to have its own`,
    ]);
  });

  it('refuses a change.log from a username group without changeLogConsumerGroupId', () => {
    expect(errorLines({ consumerGroupId: 'port-user-42', kafkaUsername: 'port-user-42', consumeChangeLog: true })).toEqual([
      `consumerGroupId: is the Kafka username, so the change.log mapping cannot have a group derived from it ("port-user-42-changes" is not accepted by Port); set changeLogConsumerGroupId to ${ORG}.<name>`,
    ]);
  });

  it("refuses a derived group past Lambda's 200 characters", () => {
    const long = `${ORG}.${'g'.repeat(200 - ORG.length - 1)}`;
    expect(long).toHaveLength(200);
    expect(errorLines({ consumerGroupId: long })).toEqual([
      `consumerGroupId: gives the runs mapping the group "${long}-runs", which is not a valid consumer group id (expected 1-200 of a-z A-Z 0-9 - / * : _ + = . @); shorten consumerGroupId or set runsConsumerGroupId`,
    ]);
  });

  it('refuses a change.log group without the change.log mapping', () => {
    expect(errorLines({ changeLogConsumerGroupId: `${ORG}.changes` })).toEqual([
      'changeLogConsumerGroupId: is only used with consumeChangeLog=true',
    ]);
  });
});

describe('deployment configuration: provisioned-only and related settings', () => {
  it('fills the on-failure bucket, event source mapping metrics and log level when asked', () => {
    expect(configOf({ provisioned: true, onFailureBucket: true, esmLogLevel: 'DEBUG', esmMetrics: false }).provisioned).toMatchObject({
      onFailureDestination: true,
      onFailureBucket: { retentionDays: 30 },
      esmMetrics: false,
      esmLogLevel: 'DEBUG',
    });
    expect(configOf({ provisioned: true, onFailureBucket: true, onFailureBucketRetentionDays: 7 }).provisioned?.onFailureBucket).toEqual({
      retentionDays: 7,
    });
  });

  it('refuses every provisioned-only setting without provisioned mode', () => {
    expect(errorLines({ onFailureBucket: true, onFailureBucketRetentionDays: 7, esmMetrics: true, esmLogLevel: 'INFO' })).toEqual([
      'onFailureBucket: needs provisioned=true; AWS offers this for Kafka event sources only in provisioned mode',
      'onFailureBucketRetentionDays: needs provisioned=true; AWS offers this for Kafka event sources only in provisioned mode',
      'esmMetrics: needs provisioned=true; AWS offers this for Kafka event sources only in provisioned mode',
      'esmLogLevel: needs provisioned=true; AWS offers this for Kafka event sources only in provisioned mode',
    ]);
  });

  it('refuses a bucket that would not be the destination, a retention without the bucket, and an unknown log level', () => {
    expect(errorLines({ provisioned: true, onFailureBucket: true, onFailureDestination: false })).toEqual([
      'onFailureBucket: is the on-failure destination, but onFailureDestination is false; expected one of them',
    ]);
    expect(errorLines({ provisioned: true, onFailureBucketRetentionDays: 7 })).toEqual([
      'onFailureBucketRetentionDays: is only used with onFailureBucket=true',
    ]);
    expect(errorLines({ provisioned: true, esmLogLevel: 'TRACE' })).toEqual([
      'esmLogLevel: "TRACE" is not an event source mapping log level; expected INFO, DEBUG or WARN',
    ]);
  });

  it('creates the Kafka secret from a password parameter only with a username and no imported secret', () => {
    const c = configOf({ kafkaPasswordParameter: true, kafkaUsername: 'port-user-42' });
    expect(c.kafkaPasswordParameter).toEqual({ username: 'port-user-42' });
    // The password arrives at deploy time, so the mappings can poll from the first deploy.
    expect(c.kafkaEnabled).toBe(true);
    expect(errorLines({ kafkaPasswordParameter: true, kafkaSecretName: 'port/kafka' })).toEqual([
      'kafkaUsername: is required with kafkaPasswordParameter=true; expected the Kafka username Port gave you (it goes into the secret)',
      'kafkaPasswordParameter: set together with an imported Kafka secret; the stack creates the secret from the KafkaPassword parameter, so set neither kafkaSecretArn nor kafkaSecretName',
    ]);
  });
});
