import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { HANDLER_ENTRY, PLACEHOLDER_ORG_ID } from '../../src/cdk/stack.js';
import { createRunLedgerTableInput, RunLedgerTable } from '../../src/runs/ledger/table.js';
import { ORG, synth } from './helpers.js';

const KAFKA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/kafka-AbCdEf';
const PORT_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/api-GhIjKl';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const IMPORTED = { kafkaSecretArn: KAFKA_ARN, portSecretArn: PORT_ARN };

/**
 * All statements of the consumer function's IAM policies (the sweeper's role and
 * the schedule's are checked in sweeper.test.ts).
 */
function statements(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => /"ConsumerRole/.test(JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles)))
    .flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties.PolicyDocument.Statement
    );
}

function envOf(template: Template): Record<string, unknown> {
  const fns = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Consumes Port Kafka topics and reports to Port' } })
  );
  expect(fns).toHaveLength(1);
  return (fns[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
}

describe('consumer function', () => {
  it('points at the real handler entry', () => {
    expect(HANDLER_ENTRY).toBe('lambda/handler.ts');
    expect(existsSync(HANDLER_ENTRY)).toBe(true);
  });

  it('runs nodejs24.x on ARM64 with the default 5-minute timeout and its own log group', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      MemorySize: 512,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^ConsumerLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('takes the timeout and retention from the configuration, up to the 14-minute cap', () => {
    const { template } = synth({ functionTimeoutSeconds: 840, logRetentionDays: 90 });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 840 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('gets the environment the handler reads', () => {
    const { template } = synth({
      ...IMPORTED,
      portApiUrl: 'https://api.port.io',
      unknownAction: 'fail',
      partitionConcurrency: 2,
      logLevel: 'DEBUG',
    });
    expect(envOf(template)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'port-kafka-consumer',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_NAMESPACE: 'PortKafkaLambda/TestStack',
      PORT_ORG_ID: ORG,
      PORT_REGION: 'eu',
      PORT_API_URL: 'https://api.port.io',
      PORT_CREDENTIALS_SECRET_ARN: PORT_ARN,
      REPORT_BATCH_ITEM_FAILURES: 'false',
      UNKNOWN_ACTION: 'fail',
      PARTITION_CONCURRENCY: '2',
      PARK_QUEUE_URL: { Ref: expect.stringMatching(/^ParkedQueue/) },
      RUN_LEDGER_TABLE: { Ref: expect.stringMatching(/^RunLedgerTable/) },
    });
  });

  it('uses its own role, without AWS managed policies', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });
});

describe('Kafka event source mappings', () => {
  it("maps the runs topic with SASL/SCRAM-512, Port's EU brokers and the runs consumer group", () => {
    const { template } = synth(IMPORTED);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.runs`],
      SelfManagedEventSource: {
        Endpoints: {
          KafkaBootstrapServers: [
            'b-1-public.publicclusterprod.t9rw6w.c1.kafka.eu-west-1.amazonaws.com:9196',
            'b-2-public.publicclusterprod.t9rw6w.c1.kafka.eu-west-1.amazonaws.com:9196',
            'b-3-public.publicclusterprod.t9rw6w.c1.kafka.eu-west-1.amazonaws.com:9196',
          ],
        },
      },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `${ORG}.lambda-runs` },
      SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_512_AUTH', URI: KAFKA_ARN }],
      StartingPosition: 'LATEST',
      BatchSize: 50,
      Enabled: true,
      // On-demand mode: none of the provisioned-only controls.
      MaximumBatchingWindowInSeconds: Match.absent(),
      ProvisionedPollerConfig: Match.absent(),
      MaximumRetryAttempts: Match.absent(),
      FunctionResponseTypes: Match.absent(),
      DestinationConfig: Match.absent(),
      FilterCriteria: Match.absent(),
    });
  });

  it('adds a second mapping for change.log, in its own group (AWS: unique among all Kafka event sources)', () => {
    const { template } = synth({ ...IMPORTED, consumeChangeLog: true, portRegion: 'us' });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    const groups = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map(
      (m) =>
        (m as { Properties: { SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: string } } }).Properties
          .SelfManagedKafkaEventSourceConfig.ConsumerGroupId
    );
    expect(groups.sort()).toEqual([`${ORG}.lambda-changes`, `${ORG}.lambda-runs`]);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.runs`],
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `${ORG}.lambda-runs` },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.change.log`],
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `${ORG}.lambda-changes` },
      SelfManagedEventSource: {
        Endpoints: { KafkaBootstrapServers: Match.arrayWith(['b-1-public.production.5v06xt.c21.kafka.us-east-1.amazonaws.com:9196']) },
      },
    });
    template.hasOutput('ChangeLogMappingId', {});
    template.hasOutput('RunsMappingId', {});
  });

  it('applies batch size, batching window, explicit brokers and AT_TIMESTAMP', () => {
    const { template } = synth({
      ...IMPORTED,
      batchSize: 200,
      maxBatchingWindowSeconds: 2,
      brokers: 'kafka.example.com:9096',
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestamp: 1764072000,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 200,
      MaximumBatchingWindowInSeconds: 2,
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['kafka.example.com:9096'] } },
      StartingPosition: 'AT_TIMESTAMP',
      StartingPositionTimestamp: 1764072000,
    });
  });

  it('is created disabled while the stack creates the Kafka secret', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Enabled: false,
      SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_512_AUTH', URI: { Ref: Match.stringLikeRegexp('^KafkaCredentials') } }],
    });
  });

  it('filters runs on value.action when filtering is on, and leaves change.log unfiltered', () => {
    const { template } = synth({ ...IMPORTED, filterActions: true, consumeChangeLog: true }, ['deploy_service', 'create_vm']);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.runs`],
      FilterCriteria: { Filters: [{ Pattern: '{"value":{"action":["create_vm","deploy_service"]}}' }] },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.change.log`],
      FilterCriteria: Match.absent(),
    });
  });

  it('refuses to filter on an empty action list', () => {
    expect(() => synth({ ...IMPORTED, filterActions: true }, [])).toThrow(/would drop every run/);
  });
});

describe('provisioned mode', () => {
  it('sets pollers, bounded retries, bisect, partial batch responses and an on-failure queue', () => {
    const { template } = synth({
      ...IMPORTED,
      provisioned: true,
      minimumPollers: 2,
      maximumPollers: 4,
      retryAttempts: 3,
      maxRecordAgeSeconds: 3600,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 4 },
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailedBatchesQueue'), 'Arn'] } } },
    });
    expect(envOf(template).REPORT_BATCH_ITEM_FAILURES).toBe('true');
    template.resourceCountIs('AWS::SQS::Queue', 2);
    // Errors, throttles, duration, lag, ledger errors, two queues, runs not ended, the sweeper,
    // and the runs mapping's own lag, polling and commit errors (observability.test.ts).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
  });

  it('tells the function when partial batch responses are off', () => {
    const { template } = synth({ ...IMPORTED, provisioned: true, reportBatchItemFailures: false, onFailureDestination: false });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: Match.absent(),
      DestinationConfig: Match.absent(),
    });
    expect(envOf(template).REPORT_BATCH_ITEM_FAILURES).toBe('false');
    template.resourceCountIs('AWS::SQS::Queue', 1);
  });
});

describe('secrets', () => {
  it('creates both secrets with the right JSON keys, retained on delete', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        GenerateSecretString: Match.objectLike({
          SecretStringTemplate: '{"username":"REPLACE_WITH_PORT_KAFKA_USERNAME"}',
          GenerateStringKey: 'password',
        }),
      }),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"clientId":"REPLACE_WITH_PORT_CLIENT_ID"}',
        GenerateStringKey: 'clientSecret',
      }),
    });
    template.hasOutput('KafkaSecretArn', {});
    template.hasOutput('PortSecretArn', {});
  });

  it('grants read on the exact imported ARNs and nothing wider', () => {
    const { template } = synth(IMPORTED);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const secretStatements = statements(template).filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    const resources = secretStatements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(resources.sort()).toEqual([KAFKA_ARN, PORT_ARN].sort());
    for (const s of secretStatements) {
      expect([s.Action].flat().sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    }
  });

  it('adds kms:Decrypt on a customer managed key, only via Secrets Manager', () => {
    const { template } = synth({ ...IMPORTED, kafkaSecretKmsKeyArn: KEY_ARN, portSecretKmsKeyArn: KEY_ARN });
    const kms = statements(template).filter((s) => s.Action === 'kms:Decrypt');
    expect(kms).toHaveLength(1);
    expect(kms[0]).toMatchObject({
      Effect: 'Allow',
      Resource: KEY_ARN,
      Condition: {
        StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      },
    });
  });

  it('imports by name with only the 6-character suffix left open', () => {
    const { template } = synth({ kafkaSecretName: 'port/kafka', portSecretArn: PORT_ARN });
    const resources = statements(template).map((s) => JSON.stringify(s.Resource));
    expect(resources.some((r) => r.includes(':secret:port/kafka-??????"'))).toBe(true);
    expect(resources.join()).not.toContain('*');
    // The mapping gets the partial ARN, which Secrets Manager resolves by name.
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SourceAccessConfigurations: [
        {
          Type: 'SASL_SCRAM_512_AUTH',
          URI: { 'Fn::Join': ['', Match.arrayWith([':secret:port/kafka'])] },
        },
      ],
    });
  });

  it('has no wildcard resource in the function policy for ARN imports', () => {
    const { template } = synth({ ...IMPORTED, provisioned: true });
    for (const s of statements(template)) {
      expect(JSON.stringify(s.Resource)).not.toContain('*');
    }
  });
});

describe('run ledger', () => {
  it('is an on-demand table keyed by run id with TTL, point-in-time recovery, AWS managed encryption and the open-claims index', () => {
    const { template } = synth(IMPORTED);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: RunLedgerTable.partitionKey.name, KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: RunLedgerTable.timeToLiveAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key ARN is KMS with the AWS managed key (aws/dynamodb).
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
      },
    });
  });

  it('has the key schema and index the handler and the tests use (one definition, runs/ledger/table.ts)', () => {
    const { template } = synth(IMPORTED);
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table')) as [{ Properties: Record<string, unknown> }];
    const tested = createRunLedgerTableInput('any');
    const sortByName = (defs: unknown) =>
      [...(defs as { AttributeName: string }[])].sort((x, y) => x.AttributeName.localeCompare(y.AttributeName));
    expect(sortByName(table.Properties.AttributeDefinitions)).toEqual(sortByName(tested.AttributeDefinitions));
    expect(table.Properties.KeySchema).toEqual(tested.KeySchema);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(tested.GlobalSecondaryIndexes);
  });

  it('lets the function read, claim, update and release single runs on the table, and nothing wider', () => {
    const { template } = synth(IMPORTED);
    const ledgerStatements = statements(template).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(ledgerStatements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RunLedgerTable/), 'Arn'] },
      }),
    ]);
  });

  it('names the table in the outputs', () => {
    const { template } = synth(IMPORTED);
    template.hasOutput('RunLedgerTableName', { Value: { Ref: Match.stringLikeRegexp('^RunLedgerTable') } });
  });
});

describe('parking queue', () => {
  it('is encrypted, TLS-only, kept 14 days, and the function may send to it', () => {
    const { template } = synth(IMPORTED);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
      MaximumMessageSize: 262_144,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    expect(statements(template)).toContainEqual(
      expect.objectContaining({
        // Sorted: the minimizePolicies feature flag sorts and merges statements.
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ParkedQueue/), 'Arn'] },
      })
    );
  });

  it('can be turned off, and then the function gets no PARK_QUEUE_URL', () => {
    const { template } = synth({ ...IMPORTED, parkingQueue: false });
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(envOf(template)).not.toHaveProperty('PARK_QUEUE_URL');
  });
});

describe('alarms', () => {
  it('watches errors, offset lag, parked records, runs Port refused to end and the sweeper', () => {
    const { template } = synth({ ...IMPORTED, offsetLagThreshold: 500 });
    // Also throttles, duration near the timeout and ledger errors (observability.test.ts).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'PortKafkaLambda',
      MetricName: 'RunsNotEnded',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^SweeperFunction') } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'OffsetLag',
      Statistic: 'Maximum',
      Threshold: 500,
      EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ParkedQueue'), 'QueueName'] } }],
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
  });

  it('notifies an email through an encrypted, TLS-only topic', () => {
    const { template } = synth({ ...IMPORTED, alarmEmail: 'ops@example.com' });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
  });

  it('notifies an existing topic by ARN', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:ops-alerts';
    const { template } = synth({ ...IMPORTED, alarmTopicArn: topicArn });
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn], OKActions: [topicArn] });
  });
});

describe('annotations', () => {
  it('warns when the org id is still the placeholder from cdk.json', () => {
    const { stack } = synth({ orgId: PLACEHOLDER_ORG_ID, consumerGroupId: `${PLACEHOLDER_ORG_ID}.lambda` });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('orgId is the placeholder'));
  });

  it('does not warn for a real org id', () => {
    const { stack } = synth();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('orgId is the placeholder'));
  });
});
