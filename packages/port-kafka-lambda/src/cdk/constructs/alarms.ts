import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

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

  constructor(scope: Construct, id: string, props: ConsumerAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const actions: IAlarmAction[] = [];

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

    // OffsetLag is published per function; with two mappings the maximum is
    // the worse of the two topics.
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

  private add(alarm: Alarm, actions: readonly IAlarmAction[]): void {
    for (const action of actions) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
  }
}

export type { ConsumerAlarmsProps };
export { ConsumerAlarms };
