import type { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type HorizontalAnnotation,
  type IAlarm,
  type IMetric,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Dimension, MetricName } from '../../telemetry/names.js';
import { type ConsumerMetricsSource, consumerMetric, consumerMetricSearch, DEFAULT_PERIOD, esmMetric } from '../metrics.js';
import type { WatchedMapping } from './alarms.js';

interface ConsumerDashboardProps {
  readonly fn: IFunction;
  readonly timeout: Duration;
  readonly consumerMetrics: ConsumerMetricsSource;
  readonly mappings: readonly WatchedMapping[];
  readonly queues: readonly { readonly name: string; readonly queue: IQueue }[];
  readonly alarms: readonly IAlarm[];
  /** Records of lag the alarms fire at, drawn on the lag graph. */
  readonly offsetLagThreshold: number;
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the deployment: runs per action and outcome
 * (SEARCH over the consumer's metrics, so a new action appears without a
 * redeploy), run durations, change handlers, lag per topic, parked and
 * retried records, errors, and the state of every alarm.
 */
class ConsumerDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ConsumerDashboardProps) {
    super(scope, id);
    const source = props.consumerMetrics;
    const perAction = (name: MetricName, label: string, statistic?: string) =>
      consumerMetricSearch(source, name, Dimension.Action, { label, ...(statistic === undefined ? {} : { statistic }) });
    const perHandler = (name: MetricName, label: string, statistic?: string) =>
      consumerMetricSearch(source, name, Dimension.ChangeHandler, { label, ...(statistic === undefined ? {} : { statistic }) });
    const perReason = (name: MetricName, label: string) => consumerMetricSearch(source, name, Dimension.Reason, { label });
    const service = (name: MetricName, label: string) => consumerMetric(source, name, { label });
    const graph = (
      title: string,
      left: IMetric[],
      right: IMetric[] = [],
      extra: Partial<ConstructorParameters<typeof GraphWidget>[0]> = {}
    ) => new GraphWidget({ title, left, right, width: WIDTH, height: HEIGHT, period: DEFAULT_PERIOD, ...extra });

    const esmMappings = props.mappings.filter((m) => m.esmMetrics);
    const lag: IMetric[] = [
      props.fn.metric('OffsetLag', { statistic: 'Maximum', period: DEFAULT_PERIOD, label: 'OffsetLag (worst topic)' }),
      ...esmMappings.map((m) => esmMetric(m.mapping, 'MaxOffsetLag', { statistic: 'Maximum', label: `MaxOffsetLag ${m.topic}` })),
    ];
    const esmErrors: IMetric[] = esmMappings.flatMap((m) => [
      esmMetric(m.mapping, 'PollingErrorCount', { label: `PollingErrorCount ${m.topic}` }),
      esmMetric(m.mapping, 'CommitErrorCount', { label: `CommitErrorCount ${m.topic}` }),
    ]);
    const timeoutMs = props.timeout.toMilliseconds();
    const timeoutLine: HorizontalAnnotation = { value: timeoutMs, label: `timeout ${props.timeout.toSeconds()} s` };

    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new TextWidget({
            markdown: `# Port Kafka consumer\nRuns and changes from the consumer's metrics (namespace \`${source.namespace}\`), lag and errors from Lambda. See docs/operations.md.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Runs started and succeeded per action', [
            perAction(MetricName.RunsStarted, "started ${PROP('Dim.action')}"),
            perAction(MetricName.RunsSucceeded, "succeeded ${PROP('Dim.action')}"),
          ]),
          graph('Runs failed, skipped and retried per action', [
            perAction(MetricName.RunsFailed, "failed ${PROP('Dim.action')}"),
            perAction(MetricName.RunsSkipped, "skipped ${PROP('Dim.action')}"),
            perAction(MetricName.RunsRetried, "retried ${PROP('Dim.action')}"),
          ]),
          graph('Run duration per action (ms)', [
            perAction(MetricName.RunDuration, "p50 ${PROP('Dim.action')}", 'p50'),
            perAction(MetricName.RunDuration, "p99 ${PROP('Dim.action')}", 'p99'),
          ]),
        ],
        [
          graph(
            'Change handlers',
            [
              perHandler(MetricName.ChangesSucceeded, "succeeded ${PROP('Dim.changeHandler')}"),
              perHandler(MetricName.ChangesFailed, "failed ${PROP('Dim.changeHandler')}"),
            ],
            [perHandler(MetricName.ChangeDuration, "p99 ms ${PROP('Dim.changeHandler')}", 'p99')]
          ),
          graph('Offset lag (records)', lag, [], {
            leftAnnotations: [{ value: props.offsetLagThreshold, label: 'alarm threshold' }],
          }),
          graph(
            'Parked, invalid and retried records',
            [
              service(MetricName.RecordsParked, 'parked'),
              service(MetricName.RecordsInvalid, 'invalid'),
              service(MetricName.RecordsRetried, 'left for a retry'),
            ],
            props.queues.map(({ name, queue }) =>
              queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: DEFAULT_PERIOD, label: `${name} queue depth` })
            )
          ),
        ],
        [
          graph(
            'Errors',
            [
              props.fn.metricErrors({ statistic: 'Sum', period: DEFAULT_PERIOD, label: 'function errors' }),
              props.fn.metricThrottles({ statistic: 'Sum', period: DEFAULT_PERIOD, label: 'throttles' }),
              service(MetricName.LedgerErrors, 'ledger errors'),
              ...esmErrors,
            ],
            [service(MetricName.PortCallRetries, 'Port call retries'), service(MetricName.LedgerConflicts, 'ledger conflicts')]
          ),
          graph(
            'Invocations and duration',
            [
              props.fn.metricInvocations({ statistic: 'Sum', period: DEFAULT_PERIOD, label: 'invocations' }),
              service(MetricName.Records, 'records'),
            ],
            [
              props.fn.metricDuration({ statistic: 'Maximum', period: DEFAULT_PERIOD, label: 'max duration (ms)' }),
              props.fn.metricDuration({ statistic: 'p99', period: DEFAULT_PERIOD, label: 'p99 duration (ms)' }),
            ],
            { rightAnnotations: [timeoutLine] }
          ),
          graph(
            'Records skipped, by reason',
            [perReason(MetricName.RecordsSkipped, "${PROP('Dim.reason')}")],
            [
              new Metric({
                namespace: source.namespace,
                metricName: MetricName.ColdStart,
                dimensionsMap: { [Dimension.Service]: source.service, function_name: props.fn.functionName },
                statistic: 'Sum',
                period: DEFAULT_PERIOD,
                label: 'cold starts',
              }),
            ]
          ),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 })],
      ],
    });
  }
}

export type { ConsumerDashboardProps };
export { ConsumerDashboard };
