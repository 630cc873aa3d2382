import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { DeployConfigError } from '../../src/cdk/config.js';
import { SWEEPER_ENTRY } from '../../src/cdk/constructs/sweeper.js';
import { RunNotEndedError } from '../../src/runs/errors.js';
import { RunLedgerTable } from '../../src/runs/ledger/table.js';
import { configOf, synth } from './helpers.js';

const KAFKA_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/kafka-AbCdEf';
const PORT_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/api-GhIjKl';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const IMPORTED = { kafkaSecretArn: KAFKA_ARN, portSecretArn: PORT_ARN };

type Statement = Record<string, unknown>;

/** Statements of the policies attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(template: Template, rolePrefix: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => new RegExp(`"${rolePrefix}`).test(JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles)))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

function sweeperFunction(template: Template): { Properties: { Environment: { Variables: Record<string, unknown> }; Timeout: number } } {
  const fns = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^SweeperLogs') } } },
    })
  );
  expect(fns).toHaveLength(1);
  return fns[0] as never;
}

describe('sweeper function', () => {
  it('bundles the entry the package ships, not a file of the template', () => {
    expect(SWEEPER_ENTRY).toMatch(/packages\/port-kafka-lambda\/src\/sweeper\/entry\.ts$/);
    expect(existsSync(SWEEPER_ENTRY)).toBe(true);
  });

  it("gets the ledger table, the Port settings, the app's action identifiers and the sweep settings", () => {
    const { template } = synth({ ...IMPORTED, portApiUrl: 'https://api.port.io', staleRunMaxAgeMinutes: 90, rerunGraceMinutes: 45 }, [
      'deploy',
      'scale',
      'deploy',
    ]);
    const fn = sweeperFunction(template);
    expect(fn.Properties.Environment.Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'port-kafka-sweeper',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      PORT_REGION: 'eu',
      PORT_API_URL: 'https://api.port.io',
      PORT_CREDENTIALS_SECRET_ARN: PORT_ARN,
      RUN_LEDGER_TABLE: { Ref: expect.stringMatching(/^RunLedgerTable/) },
      STALE_RUN_MAX_AGE_MINUTES: '90',
      RERUN_GRACE_MINUTES: '45',
      SWEEP_ACTIONS: 'deploy,scale',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^SweeperLogs') } },
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
    });
    template.hasOutput('SweeperFunctionName', { Value: { Ref: Match.stringLikeRegexp('^SweeperFunction') } });
  });

  it('may write its logs, use the ledger as a sweeper and read the Port secret: nothing else', () => {
    const { template } = synth({ ...IMPORTED, portSecretKmsKeyArn: KEY_ARN }, ['deploy']);
    const sweeper = statementsOf(template, 'SweeperRole');
    expect(sweeper).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SweeperLogs/), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RunLedgerTable/), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [expect.stringMatching(/^RunLedgerTable/), 'Arn'] }, `/index/${RunLedgerTable.openClaimsIndex.name}`],
          ],
        },
      },
      { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: PORT_ARN },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: KEY_ARN,
        Condition: {
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        },
      },
    ]);
  });
});

describe('sweeper schedule', () => {
  it('invokes the function every sweeperIntervalMinutes through EventBridge Scheduler, without retries', () => {
    const { template } = synth({ ...IMPORTED, sweeperIntervalMinutes: 2 }, ['deploy']);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(2 minutes)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SweeperFunction'), 'Arn'] },
        RoleArn: Match.anyValue(),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
      },
    });
    // A pass that overruns its interval ends before the next-but-one starts.
    expect(sweeperFunction(template).Properties.Timeout).toBe(180);
  });

  it('lets the scheduler invoke exactly the sweeper function, no version or alias wildcard', () => {
    const { template } = synth(IMPORTED, ['deploy']);
    const schedulerRoles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([, r]) =>
      JSON.stringify(r).includes('scheduler.amazonaws.com')
    );
    expect(schedulerRoles).toHaveLength(1);
    const [roleId] = schedulerRoles[0]!;
    expect(statementsOf(template, roleId)).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SweeperFunction/), 'Arn'] } },
    ]);
  });

  it('is gone with sweeper=false, and so are its alarm and role', () => {
    const { template } = synth({ ...IMPORTED, sweeper: false }, ['deploy']);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Logs::MetricFilter', 1);
    // Errors, throttles, duration, lag, ledger errors, parked records, runs not ended.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
  });

  it("warns that stale runs cannot be listed without the app's action identifiers", () => {
    const { stack } = synth(IMPORTED);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('The sweeper got no action identifiers'));
    const withIds = synth(IMPORTED, ['deploy']);
    expect(Annotations.fromStack(withIds.stack).findWarning('*', Match.stringLikeRegexp('The sweeper got no action identifiers'))).toEqual(
      []
    );
  });
});

describe('runs not ended', () => {
  it('counts the not-ended lines of both functions into one metric, which an alarm watches', () => {
    const { template } = synth(IMPORTED, ['deploy']);
    template.resourceCountIs('AWS::Logs::MetricFilter', 2);
    for (const logGroup of ['^ConsumerLogs', '^SweeperLogs']) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: Match.stringLikeRegexp(logGroup) },
        FilterPattern: '{ ($.reason = "run-not-ended") && ($.message = "Run could not be ended in Port*") }',
        MetricTransformations: [{ MetricNamespace: 'PortKafkaLambda', MetricName: 'RunsNotEnded', MetricValue: '1' }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'PortKafkaLambda', MetricName: 'RunsNotEnded', Threshold: 1 });
  });

  it('matches the line the executor writes (the pattern and the message cannot drift apart)', () => {
    expect(RunNotEndedError.logMessage.startsWith('Run could not be ended in Port')).toBe(true);
    expect(RunNotEndedError.parkReason).toBe('run-not-ended');
  });
});

describe('sweeper settings', () => {
  it('defaults to a 5-minute schedule, a 60-minute stale age and a 30-minute rerun grace', () => {
    expect(configOf({}).sweeper).toEqual({ intervalMinutes: 5, staleRunMaxAgeMinutes: 60, rerunGraceMinutes: 30 });
    expect(configOf({ sweeper: 'false' }).sweeper).toBeUndefined();
    expect(configOf({}, { PORT_KAFKA_STALE_RUN_MAX_AGE_MINUTES: '0' }).sweeper?.staleRunMaxAgeMinutes).toBe(0);
  });

  it('refuses a stale age a live run could reach, and an interval out of range', () => {
    const lines = (() => {
      try {
        configOf({ functionTimeoutSeconds: 600, staleRunMaxAgeMinutes: 10, sweeperIntervalMinutes: 0 });
      } catch (error) {
        if (error instanceof DeployConfigError) return error.lines;
      }
      throw new Error('expected a DeployConfigError');
    })();
    expect(lines).toEqual([
      'sweeperIntervalMinutes: 0 is out of range; expected an integer from 1 to 1440 minutes',
      'staleRunMaxAgeMinutes: 10 minutes is not longer than functionTimeoutSeconds (600); expected 0 (off) or more than 10 minutes',
    ]);
    expect(() => configOf({ functionTimeoutSeconds: 600, staleRunMaxAgeMinutes: 10 })).toThrow(
      'staleRunMaxAgeMinutes: 10 minutes is not longer than functionTimeoutSeconds (600); expected 0 (off) or more than 10 minutes'
    );
  });
});
