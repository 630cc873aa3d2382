import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { Dimension, type MetricName, STACK_METRICS_NAMESPACE_PREFIX } from '../telemetry/names.js';

/**
 * The CloudWatch metrics the stack's alarms and dashboard read, in one place:
 * the consumer's own (EMF, written by telemetry/metrics.ts) and the event
 * source mappings' (published by Lambda when `metricsConfig` asks for them).
 */

/** Where the consumer's EMF metrics land: POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME of the function. */
interface ConsumerMetricsSource {
  readonly namespace: string;
  readonly service: string;
}

/** One namespace per stack, so two deployments in an account (dev, prod) never add up. */
const consumerMetricsNamespace = (stackName: string): string => `${STACK_METRICS_NAMESPACE_PREFIX}${stackName}`;

const DEFAULT_PERIOD = Duration.minutes(5);

/** A consumer metric with `service` and the given dimensions (exactly those: CloudWatch matches dimension sets exactly). */
const consumerMetric = (
  source: ConsumerMetricsSource,
  name: MetricName,
  options: { dimensions?: Record<string, string>; statistic?: string; period?: Duration; label?: string } = {}
): Metric =>
  new Metric({
    namespace: source.namespace,
    metricName: name,
    dimensionsMap: { [Dimension.Service]: source.service, ...options.dimensions },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? DEFAULT_PERIOD,
    ...(options.label === undefined ? {} : { label: options.label }),
  });

/**
 * Every series of a consumer metric across the values of `dimension` (one line
 * per action, per change handler or per reason), as a CloudWatch SEARCH: the
 * actions need not be known when the stack is synthesized. Dashboards only
 * (alarms cannot use SEARCH).
 */
const consumerMetricSearch = (
  source: ConsumerMetricsSource,
  name: MetricName,
  dimension: string,
  options: { statistic?: string; period?: Duration; label?: string } = {}
): MathExpression => {
  const statistic = options.statistic ?? 'Sum';
  const period = options.period ?? DEFAULT_PERIOD;
  // The schema lists exactly the dimensions of the series wanted; the service is pinned to this deployment's.
  const schema = `{${source.namespace},${Dimension.Service},${dimension}}`;
  return new MathExpression({
    expression: `SEARCH('${schema} ${Dimension.Service}="${source.service}" MetricName="${name}"', '${statistic}', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
    label: options.label ?? '',
  });
};

/**
 * Event source mapping metrics: namespace AWS/Lambda, dimension
 * EventSourceMappingUUID (the mapping's UUID, its CloudFormation Ref).
 * Published only for mappings with `metricsConfig` (this stack: provisioned
 * mode with esmMetrics), and the error counts only when errors happen.
 * The dimension name is UNCONFIRMED in an AWS page read here (docs/operations.md).
 */
const ESM_UUID_DIMENSION = 'EventSourceMappingUUID';

const esmMetric = (
  mapping: IEventSourceMapping,
  name:
    | 'MaxOffsetLag'
    | 'SumOffsetLag'
    | 'PollingErrorCount'
    | 'CommitErrorCount'
    | 'InvokeErrorCount'
    | 'OnFailureDestinationDeliveredEventCount'
    | 'PolledEventCount'
    | 'InvokedEventCount'
    | 'FailedInvokeEventCount',
  options: { statistic?: string; period?: Duration; label?: string } = {}
): Metric =>
  new Metric({
    namespace: 'AWS/Lambda',
    metricName: name,
    dimensionsMap: { [ESM_UUID_DIMENSION]: mapping.eventSourceMappingId },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? DEFAULT_PERIOD,
    ...(options.label === undefined ? {} : { label: options.label }),
  });

export type { ConsumerMetricsSource };
export { consumerMetric, consumerMetricSearch, consumerMetricsNamespace, DEFAULT_PERIOD, ESM_UUID_DIMENSION, esmMetric };
