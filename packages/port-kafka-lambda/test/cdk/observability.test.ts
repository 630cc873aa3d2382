import { describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { SCRAM_PASSWORD_PATTERN } from '../../src/cdk/constructs/secrets.js';
import { MetricName } from '../../src/telemetry/names.js';
import { ORG, synth } from './helpers.js';

const KAFKA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/kafka-AbCdEf';
const PORT_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/api-GhIjKl';
const IMPORTED = { kafkaSecretArn: KAFKA_ARN, portSecretArn: PORT_ARN };
const NAMESPACE = 'PortKafkaLambda/TestStack';
const SERVICE = 'port-kafka-consumer';

type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string };

/** The alarm the construct `Alarms/<id>` made. */
function alarm(template: Template, id: string): Record<string, unknown> {
  const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([logicalId]) =>
    new RegExp(`^Alarms${id}[0-9A-F]{8}$`).test(logicalId)
  );
  expect(found.map(([logicalId]) => logicalId)).toHaveLength(1);
  return (found[0]![1] as Resource).Properties;
}

function alarmIds(template: Template): string[] {
  return Object.keys(template.findResources('AWS::CloudWatch::Alarm'))
    .map((logicalId) => logicalId.replace(/^Alarms/, '').replace(/[0-9A-F]{8}$/, ''))
    .sort();
}

/** The logical id of the mapping of `topic`. */
function mappingId(template: Template, topic: string): string {
  const [id] = Object.entries(template.findResources('AWS::Lambda::EventSourceMapping')).find(
    ([, m]) => JSON.stringify((m as Resource).Properties.Topics) === JSON.stringify([topic])
  )!;
  return id;
}

/** All statements of the consumer's policies. */
function consumerStatements(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => /"ConsumerRole/.test(JSON.stringify((p as Resource).Properties.Roles)))
    .flatMap((p) => ((p as Resource).Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}

/** A CloudFormation token as text: `{Ref: X}` → `REF(X)`, `{Fn::GetAtt: [X, Y]}` → `ATT(X.Y)`. */
const tokenText = (part: unknown): string => {
  if (typeof part === 'string') return part;
  const p = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (p.Ref !== undefined) return `REF(${p.Ref})`;
  if (p['Fn::GetAtt'] !== undefined) return `ATT(${p['Fn::GetAtt'].join('.')})`;
  throw new Error(`unexpected token ${JSON.stringify(part)}`);
};

interface Widget {
  type: string;
  properties: {
    title?: string;
    metrics?: unknown[][];
    alarms?: string[];
    annotations?: { horizontal?: { value: number; label?: string }[] };
  };
}

/** The dashboard's widgets, with tokens written as text. */
function dashboardWidgets(template: Template): Widget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as Resource).Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  return (JSON.parse(body['Fn::Join'][1].map(tokenText).join('')) as { widgets: Widget[] }).widgets;
}

const widget = (widgets: Widget[], title: string): Widget => {
  const found = widgets.find((w) => w.properties.title === title);
  if (found === undefined) throw new Error(`no widget "${title}" in ${widgets.map((w) => w.properties.title).join(', ')}`);
  return found;
};

/** The plain metrics of a graph widget, each as JSON text. */
const series = (w: Widget): string[] => (w.properties.metrics ?? []).map((m) => JSON.stringify(m));

/** The math expressions (SEARCH) of a graph widget. */
const expressions = (w: Widget): string[] =>
  (w.properties.metrics ?? []).flatMap((m) =>
    m.flatMap((part) =>
      typeof part === 'object' && part !== null && 'expression' in part ? [String((part as { expression: unknown }).expression)] : []
    )
  );

describe('alarms: metric, dimensions, threshold', () => {
  it('watches the function: errors, throttles and duration over 80 % of the timeout, by FunctionName', () => {
    const { template } = synth({ ...IMPORTED, functionTimeoutSeconds: 600 });
    const fn = [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^ConsumerFunction') } }];
    expect(alarm(template, 'FunctionErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Dimensions: fn });
    expect(alarm(template, 'Throttles')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Dimensions: fn });
    expect(alarm(template, 'DurationNearTimeout')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Statistic: 'Maximum',
      // 80 % of 600 s, in milliseconds.
      Threshold: 480_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm(template, 'OffsetLag')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'OffsetLag',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^ConsumerFunction/) } }],
    });
  });

  it("watches ledger errors through the consumer's own metric, in this stack's namespace", () => {
    const { template } = synth(IMPORTED);
    expect(alarm(template, 'LedgerErrors')).toEqual(
      expect.objectContaining({
        Namespace: NAMESPACE,
        MetricName: MetricName.LedgerErrors,
        Dimensions: [{ Name: 'service', Value: SERVICE }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      })
    );
    // The function writes there: the namespace and service the alarm reads.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_SERVICE_NAME: SERVICE }) },
    });
  });

  it('has no per-mapping alarms in on-demand mode, where the mappings publish no metrics of their own', () => {
    const { template } = synth({ ...IMPORTED, consumeChangeLog: true });
    expect(alarmIds(template)).toEqual([
      'DurationNearTimeout',
      'FunctionErrors',
      'LedgerErrors',
      'OffsetLag',
      'ParkedMessages',
      'RunsNotEnded',
      'SweeperErrors',
      'Throttles',
    ]);
  });

  it('watches each mapping in provisioned mode: MaxOffsetLag, polling and commit errors by EventSourceMappingUUID', () => {
    const { template } = synth({ ...IMPORTED, provisioned: true, consumeChangeLog: true, offsetLagThreshold: 250 });
    for (const [name, topic] of [
      ['Runs', `${ORG}.runs`],
      ['ChangeLog', `${ORG}.change.log`],
    ] as const) {
      const uuid = [{ Name: 'EventSourceMappingUUID', Value: { Ref: mappingId(template, topic) } }];
      expect(alarm(template, `${name}MaxOffsetLag`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'MaxOffsetLag',
        Dimensions: uuid,
        Statistic: 'Maximum',
        Threshold: 250,
        EvaluationPeriods: 3,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      for (const [id, metric] of [
        [`${name}PollingErrors`, 'PollingErrorCount'],
        [`${name}CommitErrors`, 'CommitErrorCount'],
      ] as const) {
        expect(alarm(template, id)).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: uuid,
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
    // The queue holds the failed batches' metadata: its depth is the alarm, not the bucket's.
    expect(alarmIds(template)).toContain('FailedBatchesMessages');
    expect(alarmIds(template).filter((id) => id.endsWith('FailedBatches'))).toEqual([]);
  });

  it("watches deliveries to the failure bucket per mapping, and nothing per mapping without the mappings' metrics", () => {
    const { template } = synth({ ...IMPORTED, provisioned: true, onFailureBucket: true });
    expect(alarm(template, 'RunsFailedBatches')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'OnFailureDestinationDeliveredEventCount',
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: mappingId(template, `${ORG}.runs`) } }],
      Threshold: 1,
    });
    const quiet = synth({ ...IMPORTED, provisioned: true, esmMetrics: false }).template;
    expect(alarmIds(quiet).filter((id) => id.startsWith('Runs') && id !== 'RunsNotEnded')).toEqual([]);
  });
});

describe('event source mapping settings', () => {
  it('asks for event, error and Kafka metrics and WARN system logs in provisioned mode', () => {
    const { template } = synth({ ...IMPORTED, provisioned: true, consumeChangeLog: true });
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      MetricsConfig: { Metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
      LoggingConfig: { SystemLogLevel: 'WARN' },
    });
    const debug = synth({ ...IMPORTED, provisioned: true, esmLogLevel: 'DEBUG', esmMetrics: false }).template;
    debug.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MetricsConfig: Match.absent(),
      LoggingConfig: { SystemLogLevel: 'DEBUG' },
    });
  });

  it('sets neither in on-demand mode', () => {
    const { template } = synth(IMPORTED);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MetricsConfig: Match.absent(), LoggingConfig: Match.absent() });
  });

  it("keeps a deployment's existing group for the runs mapping with runsConsumerGroupId", () => {
    const { template } = synth({ ...IMPORTED, consumeChangeLog: true, runsConsumerGroupId: `${ORG}.lambda` });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.runs`],
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `${ORG}.lambda` },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: [`${ORG}.change.log`],
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `${ORG}.lambda-changes` },
    });
  });
});

describe('S3 on-failure destination (provisioned mode, onFailureBucket)', () => {
  it('is encrypted, TLS-only, private, expires objects and is kept when the stack goes', () => {
    const { template } = synth({ ...IMPORTED, provisioned: true, onFailureBucket: true, onFailureBucketRetentionDays: 14 });
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Id: 'expire-failed-batches', ExpirationInDays: 14, Status: 'Enabled' })],
        },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.hasOutput('FailedBatchesBucketName', {});
  });

  it("is the mappings' on-failure destination instead of the queue, and the function may only write to it", () => {
    const { template } = synth({ ...IMPORTED, provisioned: true, onFailureBucket: true, consumeChangeLog: true });
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailedBatchesBucket'), 'Arn'] } } },
    });
    // Only the parking queue is left.
    template.resourceCountIs('AWS::SQS::Queue', 1);
    const s3 = consumerStatements(template).filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FailedBatchesBucket/), 'Arn'] }, '/*']] },
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FailedBatchesBucket/), 'Arn'] },
      }),
    ]);
  });
});

describe('tracing', () => {
  it('turns on X-Ray active tracing and the handler\'s tracer; "*" only for the X-Ray actions', () => {
    const { template } = synth({ ...IMPORTED, tracing: true });
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ PORT_KAFKA_TRACING: 'true' }) },
    });
    const wildcard = consumerStatements(template).filter((s) => JSON.stringify(s.Resource).includes('*'));
    expect(wildcard).toEqual([expect.objectContaining({ Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' })]);
  });

  it('is off by default: no tracing config, no PORT_KAFKA_TRACING', () => {
    const { template } = synth(IMPORTED);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Consumes Port Kafka topics and reports to Port',
      TracingConfig: Match.absent(),
      Environment: { Variables: Match.not(Match.objectLike({ PORT_KAFKA_TRACING: Match.anyValue() })) },
    });
  });
});

describe('the Kafka secret and SCRAM passwords', () => {
  it('generates a placeholder password without \\ / or "', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password', ExcludePunctuation: true, ExcludeCharacters: '\\/"' }),
    });
  });

  it('creates it from a NoEcho KafkaPassword parameter that refuses \\ / and " at deploy time', () => {
    const { template } = synth({ kafkaPasswordParameter: true, kafkaUsername: 'port-user-42' });
    template.hasParameter('KafkaPassword', {
      Type: 'String',
      NoEcho: true,
      MinLength: 1,
      AllowedPattern: SCRAM_PASSWORD_PATTERN,
      ConstraintDescription: Match.stringLikeRegexp('must not contain'),
    });
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        SecretString: { 'Fn::Join': ['', ['{"username":"port-user-42","password":"', { Ref: 'KafkaPassword' }, '"}']] },
        GenerateSecretString: Match.absent(),
      }),
    });
    // The credentials are real from the first deploy: the mapping polls.
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { Enabled: true });
    // CloudFormation matches AllowedPattern against the whole value.
    const allowed = new RegExp(`^(?:${SCRAM_PASSWORD_PATTERN})$`);
    for (const ok of ['s3cr3t-Pa55word', 'with spaces and !#$%&*+=?@^_`{|}~']) expect(allowed.test(ok)).toBe(true);
    for (const bad of ['back\\slash', 'for/ward', 'quo"te', '']) expect(allowed.test(bad)).toBe(false);
  });
});

describe('dashboard', () => {
  it('shows runs per action and outcome, durations, change handlers, lag, parked records, errors and every alarm', () => {
    const { template } = synth({ ...IMPORTED, offsetLagThreshold: 300 });
    const widgets = dashboardWidgets(template);
    // One series per action (or change handler) found at view time: the schema pins the dimensions, the service this deployment.
    const search = (metric: string, dimension: string, statistic = 'Sum') =>
      `SEARCH('{${NAMESPACE},service,${dimension}} service="${SERVICE}" MetricName="${metric}"', '${statistic}', 300)`;
    expect(expressions(widget(widgets, 'Runs started and succeeded per action'))).toEqual([
      search('RunsStarted', 'action'),
      search('RunsSucceeded', 'action'),
    ]);
    expect(expressions(widget(widgets, 'Runs failed, skipped and retried per action'))).toEqual([
      search('RunsFailed', 'action'),
      search('RunsSkipped', 'action'),
      search('RunsRetried', 'action'),
    ]);
    expect(expressions(widget(widgets, 'Run duration per action (ms)'))).toEqual([
      search('RunDuration', 'action', 'p50'),
      search('RunDuration', 'action', 'p99'),
    ]);
    expect(expressions(widget(widgets, 'Change handlers'))).toEqual([
      search('ChangesSucceeded', 'changeHandler'),
      search('ChangesFailed', 'changeHandler'),
      search('ChangeDuration', 'changeHandler', 'p99'),
    ]);
    expect(expressions(widget(widgets, 'Records skipped, by reason'))).toEqual([search('RecordsSkipped', 'reason')]);
    // On-demand mode: the function's OffsetLag only, with the alarm threshold drawn.
    const lag = widget(widgets, 'Offset lag (records)');
    expect(series(lag)).toEqual([expect.stringContaining('"AWS/Lambda","OffsetLag","FunctionName","REF(ConsumerFunction')]);
    expect(lag.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 300, label: 'alarm threshold' })]);
    const parked = series(widget(widgets, 'Parked, invalid and retried records')).join();
    expect(parked).toContain(`"${NAMESPACE}","RecordsParked","service","${SERVICE}"`);
    expect(parked).toContain('"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","ATT(ParkedQueue');
    const errors = series(widget(widgets, 'Errors')).join();
    for (const m of [
      '"AWS/Lambda","Errors"',
      '"AWS/Lambda","Throttles"',
      `"${NAMESPACE}","LedgerErrors"`,
      `"${NAMESPACE}","PortCallRetries"`,
      `"${NAMESPACE}","LedgerConflicts"`,
    ]) {
      expect(errors).toContain(m);
    }
    const invocations = widget(widgets, 'Invocations and duration');
    expect(invocations.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 300_000, label: 'timeout 300 s' })]);
    const status = widgets.find((w) => w.properties.title === 'Alarms');
    expect(status?.properties.alarms).toHaveLength(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length);
    template.hasOutput('DashboardName', {});
  });

  it("draws each topic's MaxOffsetLag and the mappings' errors in provisioned mode", () => {
    const { template } = synth({ ...IMPORTED, provisioned: true, consumeChangeLog: true });
    const widgets = dashboardWidgets(template);
    const lag = series(widget(widgets, 'Offset lag (records)'));
    expect(lag).toHaveLength(3);
    for (const topic of [`${ORG}.runs`, `${ORG}.change.log`]) {
      expect(lag.join()).toContain(`"MaxOffsetLag","EventSourceMappingUUID","REF(${mappingId(template, topic)})"`);
    }
    const errors = series(widget(widgets, 'Errors')).join();
    for (const m of ['PollingErrorCount', 'CommitErrorCount']) expect(errors.split(`"${m}"`)).toHaveLength(3);
  });

  it('can be left out', () => {
    const { template } = synth({ ...IMPORTED, dashboard: false });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});
