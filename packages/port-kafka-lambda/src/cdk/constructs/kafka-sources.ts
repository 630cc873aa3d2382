import { Duration } from 'aws-cdk-lib';
import type { EventSourceMapping, IEventSourceDlq, IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  EventSourceMappingLogLevel,
  FilterCriteria,
  MetricType,
  SourceAccessConfigurationType,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeployConfig } from '../config.js';
import type { RunFilterPattern } from '../filters.js';

interface KafkaTopicSource {
  /** Construct id part, e.g. `Runs`. */
  readonly name: string;
  readonly topic: string;
  /** The mapping's own consumer group (AWS: unique among all Kafka event sources; create-only). */
  readonly consumerGroupId: string;
  /** Filter patterns (ORed); none means every record invokes the function. */
  readonly filters?: readonly RunFilterPattern[];
}

interface KafkaSourcesProps {
  readonly fn: IFunction;
  readonly secret: ISecret;
  readonly sources: readonly KafkaTopicSource[];
  readonly config: Pick<
    DeployConfig,
    'brokers' | 'kafkaEnabled' | 'batchSize' | 'maxBatchingWindowSeconds' | 'startingPosition' | 'startingPositionTimestamp' | 'provisioned'
  >;
  /** On-failure destination (provisioned mode only): the FailedBatches queue or the failure bucket. */
  readonly onFailure?: IEventSourceDlq;
}

/** The event source mapping metrics AWS publishes when asked: event counts, error counts, Kafka consumer metrics (lag). */
const ESM_METRICS = [MetricType.EVENT_COUNT, MetricType.ERROR_COUNT, MetricType.KAFKA_METRICS];

/**
 * One self-managed Kafka event source mapping per topic (Lambda accepts
 * exactly one topic per mapping), each in its own consumer group (see
 * consumerGroupsOf in ../config.ts),
 * authenticated with SASL/SCRAM-SHA-512 over TLS as Port's brokers require.
 *
 * Mappings are built with `addEventSourceMapping` rather than
 * `SelfManagedKafkaEventSource` so that their UUIDs are available for the
 * stack outputs the checks in docs/deploying.md use.
 */
class KafkaSources extends Construct {
  readonly mappings: Record<string, EventSourceMapping> = {};

  constructor(scope: Construct, id: string, props: KafkaSourcesProps) {
    super(scope, id);
    const { config, fn } = props;
    const provisioned = config.provisioned;

    for (const source of props.sources) {
      const mapping = fn.addEventSourceMapping(`${source.name}Mapping`, {
        kafkaBootstrapServers: config.brokers,
        kafkaTopic: source.topic,
        kafkaConsumerGroupId: source.consumerGroupId,
        sourceAccessConfigurations: [{ type: SourceAccessConfigurationType.SASL_SCRAM_512_AUTH, uri: props.secret.secretArn }],
        startingPosition: StartingPosition[config.startingPosition],
        ...(config.startingPositionTimestamp === undefined ? {} : { startingPositionTimestamp: config.startingPositionTimestamp }),
        batchSize: config.batchSize,
        // Unset keeps Kafka's 500 ms default, which cannot be restored once changed.
        ...(config.maxBatchingWindowSeconds === undefined ? {} : { maxBatchingWindow: Duration.seconds(config.maxBatchingWindowSeconds) }),
        enabled: config.kafkaEnabled,
        ...(source.filters === undefined ? {} : { filters: source.filters.map((f) => FilterCriteria.filter(f)) }),
        ...(provisioned === undefined
          ? {}
          : {
              provisionedPollerConfig: {
                minimumPollers: provisioned.minimumPollers,
                maximumPollers: provisioned.maximumPollers,
                ...(provisioned.pollerGroupName === undefined ? {} : { pollerGroupName: provisioned.pollerGroupName }),
              },
              retryAttempts: provisioned.retryAttempts,
              bisectBatchOnError: provisioned.bisectBatchOnError,
              reportBatchItemFailures: provisioned.reportBatchItemFailures,
              ...(provisioned.maxRecordAgeSeconds === undefined || provisioned.maxRecordAgeSeconds === -1
                ? {}
                : { maxRecordAge: Duration.seconds(provisioned.maxRecordAgeSeconds) }),
              ...(props.onFailure === undefined ? {} : { onFailure: props.onFailure }),
              // Observability that AWS (and aws-cdk-lib's README) offers for Kafka mappings in provisioned mode only.
              ...(provisioned.esmMetrics ? { metricsConfig: { metrics: ESM_METRICS } } : {}),
              logLevel: EventSourceMappingLogLevel[provisioned.esmLogLevel],
            }),
      });
      this.mappings[source.name] = mapping;
    }
    // The mapping reads the secret with the function's role.
    props.secret.grantRead(fn);
  }
}

export type { KafkaSourcesProps, KafkaTopicSource };
export { ESM_METRICS, KafkaSources };
