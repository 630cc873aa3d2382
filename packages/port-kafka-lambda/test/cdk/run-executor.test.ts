import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { durableActionIdentifiers } from '../../src/cdk/filters.js';
import { PortKafkaStack } from '../../src/cdk/stack.js';
import { exampleApp as app } from '../helpers/example-app.js';
import { configOf } from './helpers.js';

/** cdk.json's feature flags, so the test synthesizes what `cdk synth` would. */
const featureFlags = (): Record<string, unknown> => {
  const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../cdk.json', import.meta.url)), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return Object.fromEntries(Object.entries(cdkJson.context).filter(([k]) => k.startsWith('@aws-cdk')));
};

const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));

/** The stack without bundling (no esbuild run per test), with the given durable actions. */
const synth = (durableActions: readonly string[], overrides: Record<string, unknown> = {}) => {
  const cdkApp = new App({ context: { ...featureFlags(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new PortKafkaStack(cdkApp, 'TestStack', {
    config: configOf(overrides),
    handlerEntry: FIXTURE_ENTRY,
    appEntry: FIXTURE_ENTRY,
    actionIdentifiers: ['create_vm', 'rollout_service'],
    durableActions,
  });
  return { stack, template: Template.fromStack(stack) };
};

const functionsWithDurableConfig = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (f) => (f as { Properties: { DurableConfig?: unknown } }).Properties.DurableConfig !== undefined
  );

describe('the run executor in the stack', () => {
  it("finds the template app's durable actions (rollout_service)", () => {
    expect(durableActionIdentifiers(app.actions)).toEqual(['rollout_service']);
  });

  it('is a durable function with the configured execution timeout and retention, started through its alias', () => {
    const { template } = synth(['rollout_service'], { durableExecutionTimeout: '7d', durableRetentionDays: 30 });

    template.hasResourceProperties('AWS::Lambda::Function', {
      DurableConfig: { ExecutionTimeout: 7 * 86_400, RetentionPeriodInDays: 30 },
      Runtime: 'nodejs24.x',
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          DURABLE_EXECUTION_TIMEOUT_SECONDS: String(7 * 86_400),
          POWERTOOLS_SERVICE_NAME: 'port-kafka-run-executor',
          RUN_LEDGER_TABLE: Match.anyValue(),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
    // The consumer starts executions of the alias (a qualified function), nothing else of Lambda.
    const alias = Object.keys(template.findResources('AWS::Lambda::Alias'))[0];
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ DURABLE_EXECUTOR_FUNCTION: { Ref: alias }, POWERTOOLS_SERVICE_NAME: 'port-kafka-consumer' }),
      },
    });
    const lambdaStatements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (
        p as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }
      ).Properties.PolicyDocument.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith('lambda:')))
    );
    expect(lambdaStatements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { Ref: alias } }),
        expect.objectContaining({
          Action: ['lambda:CheckpointDurableExecution', 'lambda:GetDurableExecutionState'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^RunExecutorFunction/), 'Arn'] }, ':*']] },
        }),
      ])
    );
    expect(
      lambdaStatements.filter(
        (s) => [s.Action].flat().includes('lambda:InvokeFunction') && JSON.stringify(s.Resource).includes('RunExecutor')
      )
    ).toHaveLength(1);
  });

  it('alarms on failed or timed-out executions (AWS/Lambda DurableExecutionFailed and DurableExecutionTimedOut)', () => {
    const { template } = synth(['rollout_service']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'DurableExecutionFailed', Namespace: 'AWS/Lambda' }) }),
        }),
        Match.objectLike({
          Id: 'timedOut',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'DurableExecutionTimedOut', Namespace: 'AWS/Lambda' }) }),
        }),
      ]),
      Threshold: 1,
    });
  });

  it('creates none of it when no action is durable', () => {
    const { template, stack } = synth([]);
    expect(stack.runExecutor).toBeUndefined();
    expect(functionsWithDurableConfig(template)).toHaveLength(0);
    template.resourceCountIs('AWS::Lambda::Alias', 0);
    const text = JSON.stringify(template.toJSON());
    expect(['DURABLE_EXECUTOR_FUNCTION', 'DurableExecution', 'RunExecutor'].filter((word) => text.includes(word))).toEqual([]);
  });

  it('keeps cdk-nag AwsSolutions clean', () => {
    const { stack } = synth(['rollout_service'], {
      secretInputsKeyArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:port/rsa-AbCdEf',
    });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.locations.join(',')).join(' ')}`)).toEqual([]);
  });

  it('refuses an execution timeout outside 15m to 366d in one line', () => {
    expect(() => configOf({ durableExecutionTimeout: '10m' })).toThrow(/durableExecutionTimeout: "10m" is not a duration from 15m to 366d/);
    expect(() => configOf({ durableExecutionTimeout: 'forever' })).toThrow(/durableExecutionTimeout: "forever" is not a duration/);
    expect(configOf({}).durable).toEqual({ executionTimeoutSeconds: 86_400, retentionDays: 14 });
  });
});
