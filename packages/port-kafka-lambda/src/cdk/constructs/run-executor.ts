import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { type AlarmProps, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable, Policy, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Charset, LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PortKafkaError } from '../../errors.js';
import { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER, LAMBDA_BUNDLE } from '../bundling.js';
import { functionLogsAndRole } from './function-basics.js';

/**
 * The run executor's entry inside this package (like the sweeper's): src/ ships
 * beside dist/, and both sit three folders below the package root.
 */
const RUN_EXECUTOR_ENTRY = fileURLToPath(new URL('../../../src/durable/entry.ts', import.meta.url));

/** The module name the entry imports the team's app by; the bundle binds it to the project's file. */
const APP_MODULE = 'port-kafka-lambda-app';

/** The alias the dispatcher invokes: durable executions start only on a qualified function (a version or an alias). */
const EXECUTOR_ALIAS = 'live';

/** Lambda's limit for one invocation: a step must finish within it; waits and polls end the invocation. */
const INVOCATION_TIMEOUT = Duration.minutes(15);

interface RunExecutorProps {
  /** Repository root, where package.json and package-lock.json live. */
  readonly projectRoot: string;
  /** The team's app module (`export default defineApp(...)`), bundled into the executor. */
  readonly appEntry: string;
  /** How long one execution may last (durableConfig.executionTimeout); every durable run's limit ends before it. */
  readonly executionTimeout: Duration;
  /** How long Lambda keeps a closed execution's history (durableConfig.retentionPeriod). */
  readonly retention: Duration;
  readonly memorySize: number;
  readonly logRetention: RetentionDays;
  /** What the executor reads: the Port settings, the credentials' secret, RUN_LEDGER_TABLE, ... */
  readonly environment: Record<string, string>;
}

/**
 * The run executor: a Lambda durable function that executes durable actions'
 * runs (durable/executor.ts), started by the Kafka handler with an
 * asynchronous Invoke named after each run. Its own log group and role like
 * the consumer's; the stack grants the ledger and the secrets. Invoked through
 * an alias on the current version, so an execution replays on the code that
 * started it while new runs start on the new version.
 */
class RunExecutor extends Construct {
  readonly function: NodejsFunction;
  readonly alias: Alias;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: RunExecutorProps) {
    super(scope, id);
    if (!existsSync(RUN_EXECUTOR_ENTRY)) {
      throw new PortKafkaError(
        `The run executor's entry ${RUN_EXECUTOR_ENTRY} is missing: the port-kafka-lambda package ships src/ beside dist/`
      );
    }

    ({ logGroup: this.logGroup, role: this.role } = functionLogsAndRole(
      this,
      'Port Kafka run executor: logs, its checkpoints, the run ledger, the Port credentials',
      props.logRetention
    ));

    this.function = new NodejsFunction(this, 'Function', {
      entry: RUN_EXECUTOR_ENTRY,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: INVOCATION_TIMEOUT,
      role: this.role,
      logGroup: this.logGroup,
      description: 'Executes the runs of long-running (durable) Port actions',
      durableConfig: { executionTimeout: props.executionTimeout, retentionPeriod: props.retention },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'port-kafka-run-executor',
        DURABLE_EXECUTION_TIMEOUT_SECONDS: String(props.executionTimeout.toSeconds()),
        ...props.environment,
      },
      bundling: {
        // The consumer's asset settings (bundling.ts), the AWS SDK from the runtime included.
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: CREATE_REQUIRE_BANNER,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        charset: Charset.UTF8,
        externalModules: [...LAMBDA_BUNDLE.externalModules],
        esbuildArgs: { '--conditions': BUNDLE_CONDITIONS.join(','), [`--alias:${APP_MODULE}`]: props.appEntry },
        logLevel: LogLevel.WARNING,
      },
    });
    this.alias = new Alias(this, 'Alias', { aliasName: EXECUTOR_ALIAS, version: this.function.currentVersion });

    // Checkpoints and state of its own executions (docs: durable-security.html). An
    // execution's ARN is `<function>:<version>/durable-execution/<name>/<id>`, so
    // the resource needs the `:*` wildcard. A policy of its own, outside the role:
    // the function depends on its role, and this policy names the function.
    const checkpoints = new Policy(this, 'Checkpoints', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          actions: ['lambda:CheckpointDurableExecution', 'lambda:GetDurableExecutionState'],
          resources: [`${this.function.functionArn}:*`],
        }),
      ],
    });
    const functionId = Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnElement);
    Validations.of(checkpoints).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason:
        "Durable execution ARNs are <function>:<version>/durable-execution/<name>/<id>; the checkpoint actions are granted on this function's own executions only (<function ARN>:*), as AWS documents.",
    });
  }

  /** Lets `grantee` start executions: lambda:InvokeFunction on the alias, nothing else. */
  grantStart(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.alias.functionArn] });
  }

  /**
   * Executions that ended FAILED or TIMED_OUT (AWS/Lambda DurableExecutionFailed
   * and DurableExecutionTimedOut, FunctionName dimension). The executor reports a
   * failed run to Port and succeeds, so a failed execution is a run it could not
   * end: Port unreachable for the whole report retry, a refusal, a bug.
   */
  failedExecutionsAlarm(period: Duration): AlarmProps {
    const metric = (metricName: string) => this.function.metric(metricName, { period, statistic: 'Sum' });
    return {
      alarmDescription:
        "Durable executions of the run executor failed or timed out: their runs may be left IN_PROGRESS in Port until the sweeper ends them. See the executor's log group (docs/long-running-actions.md).",
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: { failed: metric('DurableExecutionFailed'), timedOut: metric('DurableExecutionTimedOut') },
        period,
        label: 'Failed or timed-out durable executions',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    };
  }
}

export type { RunExecutorProps };
export { APP_MODULE, EXECUTOR_ALIAS, RUN_EXECUTOR_ENTRY, RunExecutor };
