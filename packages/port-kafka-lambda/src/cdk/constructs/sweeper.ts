import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Charset, LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { PortKafkaError } from '../../errors.js';
import { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER, LAMBDA_BUNDLE } from '../bundling.js';
import { functionLogsAndRole } from './function-basics.js';

/**
 * The sweeper's entry inside this package. src/cdk/constructs and dist/cdk/constructs
 * both sit three folders below the package root, and the package ships src/, so
 * the same relative path finds the TypeScript entry from the source (this
 * repository) and from the build (an installed package); esbuild bundles it
 * with the package's source condition like the consumer's handler.
 */
const SWEEPER_ENTRY = fileURLToPath(new URL('../../../src/sweeper/entry.ts', import.meta.url));

interface SweeperProps {
  /** Repository root, where package.json and package-lock.json live. */
  readonly projectRoot: string;
  readonly intervalMinutes: number;
  readonly logRetention: RetentionDays;
  /** What the function reads: RUN_LEDGER_TABLE, the Port settings and credentials' secret, SWEEP_ACTIONS, ... */
  readonly environment: Record<string, string>;
}

/**
 * EventBridge Scheduler's Lambda target grants `lambda:InvokeFunction` on the
 * function and on `<function>:*` (every version and alias); the schedule only
 * ever invokes the function itself, so this grants exactly that ARN.
 */
class InvokeFunctionOnly extends LambdaInvoke {
  constructor(private readonly target: IFunction) {
    super(target, { retryAttempts: 0, maxEventAge: Duration.minutes(5) });
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }));
  }
}

/**
 * The sweeper: a function invoked by an EventBridge Scheduler schedule every
 * few minutes (sweeper/sweep.ts says what it ends). Its own log group and role,
 * like the consumer's; the stack grants the ledger and the secret. Scheduler
 * does not retry a failed pass (the next one comes in minutes), and a pass that
 * could not end a run fails the invocation, which the stack's alarm watches.
 */
class Sweeper extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    if (!existsSync(SWEEPER_ENTRY)) {
      throw new PortKafkaError(`The sweeper's entry ${SWEEPER_ENTRY} is missing: the port-kafka-lambda package ships src/ beside dist/`);
    }

    ({ logGroup: this.logGroup, role: this.role } = functionLogsAndRole(
      this,
      'Port Kafka sweeper: logs, the run ledger, the Port credentials',
      props.logRetention
    ));

    this.function = new NodejsFunction(this, 'Function', {
      entry: SWEEPER_ENTRY,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      // A pass reads at most a few hundred runs; a stuck one must not overlap the next much.
      timeout: Duration.minutes(Math.min(5, props.intervalMinutes + 1)),
      role: this.role,
      logGroup: this.logGroup,
      description: 'Ends runs the Port Kafka consumer claimed but never reported, and runs left IN_PROGRESS in Port',
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'port-kafka-sweeper',
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
        esbuildArgs: { '--conditions': BUNDLE_CONDITIONS.join(',') },
        logLevel: LogLevel.WARNING,
      },
    });

    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.rate(Duration.minutes(props.intervalMinutes)),
      description: `Runs the Port Kafka sweeper every ${props.intervalMinutes} minute(s)`,
      target: new InvokeFunctionOnly(this.function),
    });
  }
}

export type { SweeperProps };
export { SWEEPER_ENTRY, Sweeper };
