import { describe, expect, it, jest } from '@jest/globals';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { synth } from './helpers.js';

const KAFKA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/kafka-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Every acknowledgement in the tree, as id → reason. */
function acknowledgements(root: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        for (const [id, reason] of Object.entries(m.data as Record<string, unknown>)) {
          found.set(id, typeof reason === 'string' ? reason : JSON.stringify(reason));
        }
      }
    }
  }
  return found;
}

const CONFIGURATIONS: Record<string, Record<string, unknown>> = {
  'defaults (secrets created)': {},
  'imported by ARN with a customer key, change.log, filters': {
    kafkaSecretArn: KAFKA_ARN,
    kafkaSecretKmsKeyArn: KEY_ARN,
    portSecretName: 'port/api',
    consumeChangeLog: true,
    filterActions: true,
  },
  'provisioned with on-failure queue and email alarms': {
    kafkaSecretName: 'port/kafka',
    provisioned: true,
    alarmEmail: 'ops@example.com',
  },
  'existing alarm topic, no parking queue': {
    alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
    parkingQueue: false,
  },
  'provisioned with the S3 on-failure bucket, change.log, metrics and logs of the mappings': {
    kafkaSecretArn: KAFKA_ARN,
    provisioned: true,
    onFailureBucket: true,
    consumeChangeLog: true,
    esmLogLevel: 'INFO',
  },
  'tracing on, change.log, the Kafka password as a deploy-time parameter': {
    tracing: true,
    consumeChangeLog: true,
    kafkaPasswordParameter: true,
    kafkaUsername: 'port-user-42',
  },
  'no dashboard, no sweeper': {
    dashboard: false,
    sweeper: false,
  },
};

describe('cdk-nag AwsSolutions', () => {
  it.each(Object.entries(CONFIGURATIONS))('has zero unacknowledged findings: %s', (_name, overrides) => {
    const { stack } = synth(overrides, ['create_vm']);
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.locations.join(',')).join(' ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only the expected rules, each with a reason', () => {
    const ids = new Set<string>();
    for (const overrides of Object.values(CONFIGURATIONS)) {
      const { stack } = synth(overrides, ['create_vm']);
      for (const [id, reason] of acknowledgements(stack)) {
        expect(reason.length).toBeGreaterThan(40);
        ids.add(id.replace(/^[^:]+::/, ''));
      }
    }
    expect([...ids].sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<FailedBatchesBucket8B02D48A.Arn>/*]',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
  });

  it('would report the findings the tracing and failure-bucket acknowledgements cover', () => {
    const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    try {
      const { stack } = synth({ kafkaSecretArn: KAFKA_ARN, provisioned: true, onFailureBucket: true, tracing: true });
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => v.ruleName).sort()).toEqual([
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::<FailedBatchesBucket8B02D48A.Arn>/*]',
        'AwsSolutions-S1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('would report the findings the acknowledgements cover (none is dead)', () => {
    // Turn acknowledging into a no-op while the stack is built.
    const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    try {
      const { stack } = synth({});
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => v.ruleName).sort()).toEqual(['AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
    } finally {
      spy.mockRestore();
    }
  });
});
