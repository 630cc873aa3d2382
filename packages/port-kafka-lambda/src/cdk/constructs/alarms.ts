import { Duration } from 'aws-cdk-lib';
import type { AlarmProps, IAlarmAction, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MetricName } from '../../telemetry/names.js';
import { type ConsumerMetricsSource, consumerMetric, esmMetric } from '../metrics.js';

/** Duration alarm: the slowest invocation used this share of the timeout. */
const DURATION_ALARM_SHARE = 0.8;

/** An event source mapping and what Lambda publishes for it. */
interface WatchedMapping {
  /** `Runs`, `ChangeLog`: names the alarms. */
  readonly name: string;
  readonly topic: string;
  readonly mapping: IEventSourceMapping;
  /** The mapping has `metricsConfig` (event, error and Kafka metrics): per-mapping lag and error alarms. */
  readonly esmMetrics: boolean;
  /** The on-failure destination is the S3 bucket (no queue depth to watch): alarm on deliveries to it. */
  readonly failureBucket: boolean;
}

interface ConsumerAlarmsProps {
  readonly fn: IFunction;
  /** Records behind the newest offset before the lag alarm fires. */
  readonly offsetLagThreshold: number;
  /** Queues whose visible messages need a human (parked, failed batches). */
  readonly queues: readonly { readonly name: string; readonly queue: IQueue }[];
  /** Runs Port refused to end (the stack's log metric filters): any is an alarm. */
  readonly runsNotEnded?: IMetric;
  /** The sweeper function: a failed pass left runs it could not end. */
  readonly sweeper?: IFunction;
  /** The function's timeout: the duration alarm fires at 80 % of it. */
  readonly timeout?: Duration;
  /** Where the consumer's own metrics land (ledger errors). */
  readonly consumerMetrics?: ConsumerMetricsSource;
  /** The mappings, for per-mapping alarms where Lambda publishes their metrics. */
  readonly mappings?: readonly WatchedMapping[];
  /** Existing topic to notify. */
  readonly topicArn?: string;
  /** Address to subscribe to a topic the stack creates. */
  readonly email?: string;
}

/**
 * The alarms an operator needs: the function fails, the mappings fall behind
 * the topics, or records were parked (or whole batches given up on).
 */
class ConsumerAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  /** The topic the stack created for `email`, if any. */
  readonly topic?: Topic;
  /** Where every alarm notifies (alarm and OK). */
  readonly #actions: IAlarmAction[] = [];

  constructor(scope: Construct, id: string, props: ConsumerAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const actions = this.#actions;

    if (props.topicArn !== undefined) {
      const existing: ITopic = Topic.fromTopicArn(this, 'ExistingTopic', props.topicArn);
      actions.push(new SnsAction(existing));
    }
    if (props.email !== undefined) {
      // CloudWatch cannot publish to a topic encrypted with the AWS managed
      // SNS key, so the topic gets its own key that CloudWatch may use.
      const key = new Key(this, 'TopicKey', {
        description: 'Encrypts the Port Kafka consumer alarm topic',
        enableKeyRotation: true,
      });
      key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      const topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true });
      topic.addSubscription(new EmailSubscription(props.email));
      this.topic = topic;
      actions.push(new SnsAction(topic));
    }

    this.add(
      new Alarm(this, 'FunctionErrors', {
        alarmDescription:
          'The consumer function failed (it threw or timed out). In on-demand mode Lambda retries the whole batch, so the partition is stuck until it succeeds.',
        metric: props.fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      actions
    );

    // OffsetLag (AWS/Lambda) is a function metric for Kafka sources, measured
    // per topic (Lambda developer guide, "Working with Lambda function
    // metrics"); function metrics carry FunctionName. With two mappings the
    // maximum is the worse topic. A per-mapping dimension of OffsetLag is not
    // documented; per-mapping lag is MaxOffsetLag, in provisioned mode below.
    this.add(
      new Alarm(this, 'OffsetLag', {
        alarmDescription: `The event source mappings are more than ${props.offsetLagThreshold} records behind for 15 minutes: runs wait in Kafka.`,
        metric: new Metric({
          namespace: 'AWS/Lambda',
          metricName: 'OffsetLag',
          dimensionsMap: { FunctionName: props.fn.functionName },
          statistic: 'Maximum',
          period,
        }),
        threshold: props.offsetLagThreshold,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      actions
    );

    if (props.runsNotEnded !== undefined) {
      this.add(
        new Alarm(this, 'RunsNotEnded', {
          alarmDescription:
            'Port refused to end a run (wrong or revoked Port credentials, or a run this client may not change): it stays IN_PROGRESS in Port. Fix the credentials, then redrive the parked records (docs/operations.md).',
          metric: props.runsNotEnded,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        actions
      );
    }

    if (props.sweeper !== undefined) {
      this.add(
        new Alarm(this, 'SweeperErrors', {
          alarmDescription:
            'A sweeper pass could not end some runs (Port or the run ledger failed) and will try again; if this persists, runs stay IN_PROGRESS in Port. See the sweeper log group.',
          metric: props.sweeper.metricErrors({ period, statistic: 'Sum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        actions
      );
    }

    this.alarmOn('Throttles', {
      alarmDescription:
        'Lambda throttled the consumer (no concurrency left): the mappings back off and lag grows. Check reserved and account concurrency.',
      metric: props.fn.metricThrottles({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    if (props.timeout !== undefined) {
      const limitMs = Math.round(props.timeout.toMilliseconds() * DURATION_ALARM_SHARE);
      this.alarmOn('DurationNearTimeout', {
        alarmDescription: `An invocation ran for more than ${DURATION_ALARM_SHARE * 100} % of the ${props.timeout.toSeconds()} s timeout: runs are long or Port is slow, and the next may time out (its runs are then reported as timed out). Raise functionTimeoutSeconds or lower batchSize.`,
        metric: props.fn.metricDuration({ period, statistic: 'Maximum' }),
        threshold: limitMs,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    if (props.consumerMetrics !== undefined) {
      this.alarmOn('LedgerErrors', {
        alarmDescription:
          'The run ledger (DynamoDB) failed calls: runs are left for a retry, or end FAILURE with ledger-error. Check the table and the function role.',
        metric: consumerMetric(props.consumerMetrics, MetricName.LedgerErrors, { period }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    for (const m of props.mappings ?? []) {
      if (m.esmMetrics) {
        this.alarmOn(`${m.name}MaxOffsetLag`, {
          alarmDescription: `The ${m.topic} mapping's most lagging partition is more than ${props.offsetLagThreshold} records behind for 15 minutes.`,
          metric: esmMetric(m.mapping, 'MaxOffsetLag', { statistic: 'Maximum', period }),
          threshold: props.offsetLagThreshold,
          evaluationPeriods: 3,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        this.alarmOn(`${m.name}PollingErrors`, {
          alarmDescription: `The ${m.topic} mapping could not poll Port's brokers (authentication, authorization of the consumer group, network). See its log stream and LastProcessingResult (docs/operations.md).`,
          metric: esmMetric(m.mapping, 'PollingErrorCount', { period }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Error metrics are published only when errors happen.
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        this.alarmOn(`${m.name}CommitErrors`, {
          alarmDescription: `The ${m.topic} mapping could not commit offsets: records will be delivered again.`,
          metric: esmMetric(m.mapping, 'CommitErrorCount', { period }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      }
      if (m.esmMetrics && m.failureBucket) {
        this.alarmOn(`${m.name}FailedBatches`, {
          alarmDescription: `Lambda gave up on records of ${m.topic} after the retry attempts and wrote them to the failure bucket. Inspect and replay them (docs/operations.md).`,
          metric: esmMetric(m.mapping, 'OnFailureDestinationDeliveredEventCount', { period }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      }
    }

    for (const { name, queue } of props.queues) {
      this.add(
        new Alarm(this, `${name}Messages`, {
          alarmDescription: `Messages are waiting in the ${name} queue: records the consumer could not process. Inspect and redrive them (docs/operations.md).`,
          metric: queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        actions
      );
    }
  }

  /**
   * Adds an alarm that notifies where the others do: for constructs beside the
   * consumer (a sweeper, an executor) to be watched like it.
   */
  alarmOn(id: string, props: AlarmProps): Alarm {
    const alarm = new Alarm(this, id, props);
    this.add(alarm, this.#actions);
    return alarm;
  }

  private add(alarm: Alarm, actions: readonly IAlarmAction[]): void {
    for (const action of actions) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
  }
}

export type { ConsumerAlarmsProps, WatchedMapping };
export { ConsumerAlarms };
