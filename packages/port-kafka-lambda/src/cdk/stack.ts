import path from 'node:path';
import type { StackProps } from 'aws-cdk-lib';
import { Annotations, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IEventSourceDlq } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PortKafkaError } from '../errors.js';
import type { DeployConfig } from './config.js';
import { ConsumerAlarms } from './constructs/alarms.js';
import { ConsumerFunction } from './constructs/consumer-function.js';
import { ConsumerDashboard } from './constructs/dashboard.js';
import { FailureBucket } from './constructs/failure-bucket.js';
import type { KafkaTopicSource } from './constructs/kafka-sources.js';
import { KafkaSources } from './constructs/kafka-sources.js';
import { ParkingQueue } from './constructs/parking-queue.js';
import { RunExecutor } from './constructs/run-executor.js';
import { RunLedger } from './constructs/run-ledger.js';
import { credentialsSecret, kafkaSecretFromParameter, SCRAM_UNSAFE_CHARACTERS } from './constructs/secrets.js';
import { Sweeper } from './constructs/sweeper.js';
import { runFilterPatterns } from './filters.js';
import { type ConsumerMetricsSource, consumerMetricsNamespace } from './metrics.js';

/** The template's Lambda entry, relative to the project root; the module exports `handler`. */
const HANDLER_ENTRY = 'lambda/handler.ts';
/** The template's app (`export default defineApp(...)`), relative to the project root: the run executor bundles it. */
const APP_ENTRY = 'lambda/app.ts';
/**
 * The log line both the consumer and the sweeper write when Port refuses to end a
 * run (runs/report.ts): JSON with `reason: run-not-ended` and a message starting so.
 * The batch's "parked" line carries the reason too, so the message keeps it from
 * being counted twice.
 */
const RUN_NOT_ENDED_PATTERN = FilterPattern.all(
  FilterPattern.stringValue('$.reason', '=', 'run-not-ended'),
  FilterPattern.stringValue('$.message', '=', 'Run could not be ended in Port*')
);
/** Namespace and name of the metric the stack's log filters count into. */
const RUNS_NOT_ENDED_METRIC = { namespace: 'PortKafkaLambda', name: 'RunsNotEnded' } as const;

/** POWERTOOLS_SERVICE_NAME of the consumer: its log lines' `service` and its metrics' `service` dimension. */
const CONSUMER_SERVICE_NAME = 'port-kafka-consumer';

/** The org id cdk.json ships with, so `cdk synth` works from a fresh clone. */
const PLACEHOLDER_ORG_ID = 'org_ReplaceMe0000000';

interface PortKafkaStackProps extends StackProps {
  readonly config: DeployConfig;
  /**
   * Identifiers (and aliases) of the registered actions; required when
   * `config.filterActions` is on.
   */
  readonly actionIdentifiers?: readonly string[];
  /** The handler module; default `lambda/handler.ts` under `projectRoot`. */
  readonly handlerEntry?: string;
  /**
   * Identifiers of the app's durable actions (`defineAction({ durable })`). With
   * any, the stack creates the run executor (a durable function) that their runs
   * execute in, and lets the consumer start executions of it; with none, nothing.
   */
  readonly durableActions?: readonly string[];
  /** The app module the run executor bundles; default `lambda/app.ts` under `projectRoot`. */
  readonly appEntry?: string;
  /** Where package.json and package-lock.json are; default the working directory (`cdk` runs from there). */
  readonly projectRoot?: string;
}

/**
 * Port's Kafka topics → Lambda → Port's API.
 *
 * The function is invoked by one event source mapping per topic, reads the
 * Kafka credentials (mapping) and the Port API credentials (handler) from
 * Secrets Manager, claims each run in a DynamoDB run ledger before executing
 * it, parks records it cannot process on an SQS queue, and is watched by alarms
 * on errors, offset lag and parked records.
 */
class PortKafkaStack extends Stack {
  readonly consumer: ConsumerFunction;
  /** Claims and final reports of runs, shared by every container of the function. */
  readonly runLedger: RunLedger;
  /** The scheduled function that ends interrupted and stale runs; undefined when turned off. */
  readonly sweeper: Sweeper | undefined;
  /** Every alarm, notifying one topic; `alarms.alarmOn` adds one that notifies the same way. */
  readonly alarms: ConsumerAlarms;
  /** The durable function that runs durable actions; undefined when the app has none. */
  readonly runExecutor: RunExecutor | undefined;

  constructor(scope: Construct, id: string, props: PortKafkaStackProps) {
    super(scope, id, props);
    const { config } = props;
    const projectRoot = path.resolve(props.projectRoot ?? process.cwd());

    if (config.orgId === PLACEHOLDER_ORG_ID) {
      Annotations.of(this).addWarningV2(
        'port-kafka:placeholderOrgId',
        `orgId is the placeholder ${PLACEHOLDER_ORG_ID}; set your Port organization id before deploying (docs/deploying.md).`
      );
    }

    const kafkaSecret =
      config.kafkaPasswordParameter === undefined
        ? credentialsSecret(this, 'KafkaCredentials', config.kafkaSecret, {
            description: 'Port Kafka SASL/SCRAM credentials: {"username","password"}',
            placeholder: { username: 'REPLACE_WITH_PORT_KAFKA_USERNAME' },
            generatedKey: 'password',
            // Never a value the mapping could not log in with, should the placeholder be used as is.
            excludeCharacters: SCRAM_UNSAFE_CHARACTERS,
          })
        : kafkaSecretFromParameter(this, 'KafkaCredentials', config.kafkaPasswordParameter.username);
    const portSecret = credentialsSecret(this, 'PortCredentials', config.portSecret, {
      description: 'Port API credentials: {"clientId","clientSecret"}',
      placeholder: { clientId: 'REPLACE_WITH_PORT_CLIENT_ID' },
      generatedKey: 'clientSecret',
    });

    const parking = config.parkingQueue
      ? new ParkingQueue(this, 'Parked', { purpose: 'records the handler could not process' })
      : undefined;
    // Provisioned mode's on-failure destination: the queue (metadata of the
    // batch) or, with onFailureBucket, the bucket (the records themselves).
    const failureBucketSettings = config.provisioned?.onFailureDestination === true ? config.provisioned.onFailureBucket : undefined;
    const failures =
      config.provisioned?.onFailureDestination === true && failureBucketSettings === undefined
        ? new ParkingQueue(this, 'FailedBatches', {
            purpose: 'metadata of batches Lambda gave up on after the retry attempts',
          })
        : undefined;
    const failureBucket =
      failureBucketSettings === undefined
        ? undefined
        : new FailureBucket(this, 'FailedBatchesBucket', { retentionDays: failureBucketSettings.retentionDays });
    const onFailure: IEventSourceDlq | undefined = failures !== undefined ? new SqsDlq(failures.queue) : failureBucket?.destination();
    const consumerMetrics: ConsumerMetricsSource = {
      namespace: consumerMetricsNamespace(this.stackName),
      service: CONSUMER_SERVICE_NAME,
    };

    this.runLedger = new RunLedger(this, 'RunLedger');

    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: CONSUMER_SERVICE_NAME,
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      // The handler's EMF metrics (on by default in Lambda), one namespace per stack.
      POWERTOOLS_METRICS_NAMESPACE: consumerMetrics.namespace,
      PORT_ORG_ID: config.orgId,
      PORT_REGION: config.portRegion,
      PORT_CREDENTIALS_SECRET_ARN: portSecret.secret.secretArn,
      // The handler must answer in Kafka's item-identifier format exactly
      // when the mapping asks for partial batch responses.
      REPORT_BATCH_ITEM_FAILURES: String(config.provisioned?.reportBatchItemFailures ?? false),
      UNKNOWN_ACTION: config.unknownAction,
      PARTITION_CONCURRENCY: String(config.partitionConcurrency),
      RUN_LEDGER_TABLE: this.runLedger.table.tableName,
    };
    if (config.portApiUrl !== undefined) environment.PORT_API_URL = config.portApiUrl;
    if (config.environment !== undefined) environment.BACKEND_ENVIRONMENT = config.environment;
    if (config.secretInputsKeyArn !== undefined) environment.PORT_SECRET_INPUTS_PRIVATE_KEY_ARN = config.secretInputsKeyArn;
    if (parking !== undefined) environment.PARK_QUEUE_URL = parking.queue.queueUrl;
    // Powertools Tracer is loaded only then (cold start), with the function's active tracing.
    if (config.tracing) environment.PORT_KAFKA_TRACING = 'true';

    // Durable actions' runs execute in the run executor, started by the consumer
    // (docs/long-running-actions.md); created only when the app has such an action.
    const durableActions = props.durableActions ?? [];
    this.runExecutor =
      durableActions.length === 0
        ? undefined
        : new RunExecutor(this, 'RunExecutor', {
            projectRoot,
            appEntry: path.resolve(projectRoot, props.appEntry ?? APP_ENTRY),
            executionTimeout: Duration.seconds(config.durable.executionTimeoutSeconds),
            retention: Duration.days(config.durable.retentionDays),
            memorySize: config.memorySizeMb,
            logRetention: config.logRetentionDays as RetentionDays,
            environment: { ...environment, POWERTOOLS_SERVICE_NAME: 'port-kafka-run-executor' },
          });
    if (this.runExecutor !== undefined) {
      environment.DURABLE_EXECUTOR_FUNCTION = this.runExecutor.alias.functionArn;
      environment.DURABLE_EXECUTION_TIMEOUT_SECONDS = String(config.durable.executionTimeoutSeconds);
    }

    this.consumer = new ConsumerFunction(this, 'Consumer', {
      entry: path.resolve(projectRoot, props.handlerEntry ?? HANDLER_ENTRY),
      projectRoot,
      timeout: Duration.seconds(config.functionTimeoutSeconds),
      memorySize: config.memorySizeMb,
      logRetention: config.logRetentionDays as RetentionDays,
      environment,
      tracing: config.tracing,
    });
    const fn = this.consumer.function;

    portSecret.secret.grantRead(fn);
    if (config.secretInputsKeyArn !== undefined) {
      // The RSA private key of client-side encrypted secret inputs, read on first use.
      Secret.fromSecretCompleteArn(this, 'SecretInputsKey', config.secretInputsKeyArn).grantRead(fn);
    }
    this.runLedger.grantRunAccess(fn);
    // Secrets Manager decrypts with the caller's permissions: a secret under a
    // customer managed key needs kms:Decrypt on that key, and only when the
    // call comes through Secrets Manager in this region.
    const keys = [...new Set([kafkaSecret.kmsKeyArn, portSecret.kmsKeyArn].filter((k) => k !== undefined))];
    for (const keyArn of keys) {
      this.consumer.role.addToPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
        })
      );
    }
    parking?.queue.grantSendMessages(fn);

    if (this.runExecutor !== undefined) {
      const executor = this.runExecutor;
      // The consumer may start executions of the executor's alias, and nothing else.
      executor.grantStart(fn);
      portSecret.secret.grantRead(executor.function);
      if (config.secretInputsKeyArn !== undefined) {
        Secret.fromSecretCompleteArn(this, 'ExecutorSecretInputsKey', config.secretInputsKeyArn).grantRead(executor.function);
      }
      this.runLedger.grantRunAccess(executor.function);
      if (portSecret.kmsKeyArn !== undefined) {
        executor.role.addToPolicy(
          new PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [portSecret.kmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
          })
        );
      }
    }

    const sweeping = config.sweeper;
    this.sweeper =
      sweeping === undefined
        ? undefined
        : new Sweeper(this, 'Sweeper', {
            projectRoot,
            intervalMinutes: sweeping.intervalMinutes,
            logRetention: config.logRetentionDays as RetentionDays,
            environment: {
              POWERTOOLS_LOG_LEVEL: config.logLevel,
              PORT_REGION: config.portRegion,
              ...(config.portApiUrl === undefined ? {} : { PORT_API_URL: config.portApiUrl }),
              PORT_CREDENTIALS_SECRET_ARN: portSecret.secret.secretArn,
              RUN_LEDGER_TABLE: this.runLedger.table.tableName,
              STALE_RUN_MAX_AGE_MINUTES: String(sweeping.staleRunMaxAgeMinutes),
              RERUN_GRACE_MINUTES: String(sweeping.rerunGraceMinutes),
              // Several backends share the action identifiers: the sweeper then leaves Port's listing alone.
              ...(config.environment === undefined ? {} : { BACKEND_ENVIRONMENT: config.environment }),
              ...(props.actionIdentifiers === undefined || props.actionIdentifiers.length === 0
                ? {}
                : { SWEEP_ACTIONS: [...new Set(props.actionIdentifiers)].join(',') }),
            },
          });
    if (this.sweeper !== undefined && sweeping !== undefined) {
      const sweeperFn = this.sweeper.function;
      this.runLedger.grantSweep(sweeperFn);
      portSecret.secret.grantRead(sweeperFn);
      if (portSecret.kmsKeyArn !== undefined) {
        this.sweeper.role.addToPolicy(
          new PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [portSecret.kmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
          })
        );
      }
      if (sweeping.staleRunMaxAgeMinutes > 0 && (props.actionIdentifiers ?? []).length === 0) {
        Annotations.of(this).addWarningV2(
          'port-kafka:sweeperWithoutActions',
          'The sweeper got no action identifiers (PortKafkaStackProps.actionIdentifiers), so it cannot list runs left IN_PROGRESS in Port; only lapsed claims are swept.'
        );
      }
    }

    // Runs Port refused to end (wrong credentials, a run it will not let this client change):
    // counted from both functions' logs, one alarm.
    const runsNotEndedLogs: ILogGroup[] = [this.consumer.logGroup, ...(this.sweeper ? [this.sweeper.logGroup] : [])];
    for (const [i, logGroup] of runsNotEndedLogs.entries()) {
      new MetricFilter(this, i === 0 ? 'RunsNotEndedFilter' : 'SweeperRunsNotEndedFilter', {
        logGroup,
        filterPattern: RUN_NOT_ENDED_PATTERN,
        metricNamespace: RUNS_NOT_ENDED_METRIC.namespace,
        metricName: RUNS_NOT_ENDED_METRIC.name,
        metricValue: '1',
      });
    }

    const sources: KafkaTopicSource[] = [
      {
        name: 'Runs',
        topic: config.topics.runs,
        consumerGroupId: config.consumerGroups.runs,
        ...(config.filterActions || config.environment !== undefined
          ? {
              filters: runFilterPatterns({
                ...(config.filterActions ? { identifiers: props.actionIdentifiers ?? [] } : {}),
                ...(config.environment === undefined ? {} : { environment: config.environment }),
              }),
            }
          : {}),
      },
    ];
    if (config.topics.changeLog !== undefined && config.consumerGroups.changeLog !== undefined) {
      // Change events have no action identifier: never filtered.
      sources.push({ name: 'ChangeLog', topic: config.topics.changeLog, consumerGroupId: config.consumerGroups.changeLog });
    }
    const kafka = new KafkaSources(this, 'Kafka', {
      fn,
      secret: kafkaSecret.secret,
      sources,
      config,
      ...(onFailure === undefined ? {} : { onFailure }),
    });
    const mappingOf = (name: string) => {
      const mapping = kafka.mappings[name];
      if (mapping === undefined) throw new PortKafkaError(`No event source mapping was created for ${name}`);
      return mapping;
    };
    const watchedMappings = sources.map((source) => ({
      name: source.name,
      topic: source.topic,
      mapping: mappingOf(source.name),
      esmMetrics: config.provisioned?.esmMetrics === true,
      failureBucket: failureBucket !== undefined,
    }));

    // Imports by name are granted on `<name>-??????`: Secrets Manager appends
    // a random 6-character suffix to every secret ARN and `?` matches exactly
    // one character, so this matches that secret and its same-named
    // successors only. cdk-nag's IAM5 looks for `*` and does not flag it;
    // import by complete ARN to have no wildcard at all.
    const queues = [
      ...(parking === undefined ? [] : [{ name: 'Parked', queue: parking.queue }]),
      ...(failures === undefined ? [] : [{ name: 'FailedBatches', queue: failures.queue }]),
    ];
    const alarms = new ConsumerAlarms(this, 'Alarms', {
      fn,
      offsetLagThreshold: config.offsetLagThreshold,
      queues,
      runsNotEnded: new Metric({
        namespace: RUNS_NOT_ENDED_METRIC.namespace,
        metricName: RUNS_NOT_ENDED_METRIC.name,
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      ...(this.sweeper === undefined ? {} : { sweeper: this.sweeper.function }),
      timeout: Duration.seconds(config.functionTimeoutSeconds),
      consumerMetrics,
      mappings: watchedMappings,
      ...(config.alarmTopicArn === undefined ? {} : { topicArn: config.alarmTopicArn }),
      ...(config.alarmEmail === undefined ? {} : { email: config.alarmEmail }),
    });
    this.alarms = alarms;
    if (this.runExecutor !== undefined) {
      alarms.alarmOn('RunExecutorFailedExecutions', this.runExecutor.failedExecutionsAlarm(Duration.minutes(5)));
      // The executor logs the same line when Port refuses to end a run: counted into the same metric.
      new MetricFilter(this, 'RunExecutorRunsNotEndedFilter', {
        logGroup: this.runExecutor.logGroup,
        filterPattern: RUN_NOT_ENDED_PATTERN,
        metricNamespace: RUNS_NOT_ENDED_METRIC.namespace,
        metricName: RUNS_NOT_ENDED_METRIC.name,
        metricValue: '1',
      });
    }

    const dashboard = config.dashboard
      ? new ConsumerDashboard(this, 'Dashboard', {
          fn,
          timeout: Duration.seconds(config.functionTimeoutSeconds),
          consumerMetrics,
          mappings: watchedMappings,
          queues,
          alarms: alarms.alarms,
          offsetLagThreshold: config.offsetLagThreshold,
        })
      : undefined;

    new CfnOutput(this, 'FunctionName', { value: fn.functionName });
    new CfnOutput(this, 'LogGroupName', { value: this.consumer.logGroup.logGroupName });
    for (const [name, mapping] of Object.entries(kafka.mappings)) {
      new CfnOutput(this, `${name}MappingId`, {
        value: mapping.eventSourceMappingId,
        description: `UUID of the ${name} event source mapping (aws lambda get-event-source-mapping --uuid ...)`,
      });
    }
    new CfnOutput(this, 'KafkaSecretArn', { value: kafkaSecret.secret.secretArn });
    new CfnOutput(this, 'PortSecretArn', { value: portSecret.secret.secretArn });
    new CfnOutput(this, 'RunLedgerTableName', { value: this.runLedger.table.tableName });
    if (this.sweeper !== undefined) new CfnOutput(this, 'SweeperFunctionName', { value: this.sweeper.function.functionName });
    if (this.runExecutor !== undefined) {
      new CfnOutput(this, 'RunExecutorFunctionName', { value: this.runExecutor.function.functionName });
      new CfnOutput(this, 'RunExecutorLogGroupName', { value: this.runExecutor.logGroup.logGroupName });
    }
    if (parking !== undefined) new CfnOutput(this, 'ParkedQueueUrl', { value: parking.queue.queueUrl });
    if (failures !== undefined) new CfnOutput(this, 'FailedBatchesQueueUrl', { value: failures.queue.queueUrl });
    if (failureBucket !== undefined) new CfnOutput(this, 'FailedBatchesBucketName', { value: failureBucket.bucket.bucketName });
    if (dashboard !== undefined) new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });
    if (alarms.topic !== undefined) new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
  }
}

export type { PortKafkaStackProps };
export { APP_ENTRY, CONSUMER_SERVICE_NAME, HANDLER_ENTRY, PLACEHOLDER_ORG_ID, PortKafkaStack, RUNS_NOT_ENDED_METRIC };
