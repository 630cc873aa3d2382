import { type Duration, Validations } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Charset, LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER, LAMBDA_BUNDLE, TRACER_MODULES } from '../bundling.js';
import { functionLogsAndRole } from './function-basics.js';

interface ConsumerFunctionProps {
  /** The handler module (TypeScript); it exports `handler`. */
  readonly entry: string;
  /** Repository root, where package.json and package-lock.json live. */
  readonly projectRoot: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly logRetention: RetentionDays;
  readonly environment: Record<string, string>;
  /** X-Ray active tracing (the handler then sends its subsegments, PORT_KAFKA_TRACING=true). */
  readonly tracing?: boolean;
}

/**
 * The Kafka consumer function with this project's defaults, so the stack
 * reads as architecture: Node.js 24 on ARM64, an ESM bundle built locally by
 * esbuild (minified, with source maps that Node applies to stack traces), its
 * own log group with a retention, and a role that can only write to that log
 * group. Everything else is granted by the stack, resource by resource.
 */
class ConsumerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ConsumerFunctionProps) {
    super(scope, id);

    ({ logGroup: this.logGroup, role: this.role } = functionLogsAndRole(
      this,
      'Port Kafka consumer: logs, its secrets, its queues',
      props.logRetention
    ));

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.tracing === true ? { tracing: Tracing.ACTIVE } : {}),
      description: 'Consumes Port Kafka topics and reports to Port',
      environment: {
        // Stack traces point at the TypeScript sources, not the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        // The settings `npm run bench` measures (bundling.ts says why each).
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: CREATE_REQUIRE_BANNER,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        charset: Charset.UTF8,
        // Without tracing the tracer's dynamic import is never reached: leave it out of the bundle.
        externalModules: [...LAMBDA_BUNDLE.externalModules, ...(props.tracing === true ? [] : TRACER_MODULES)],
        esbuildArgs: { '--conditions': BUNDLE_CONDITIONS.join(',') },
        logLevel: LogLevel.WARNING,
      },
    });
    if (props.tracing === true) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray does not scope to resources; the stack test checks they are the only actions on "*".',
      });
    }
  }
}

export type { ConsumerFunctionProps };
export { ConsumerFunction };
