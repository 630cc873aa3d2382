import { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { issueLines } from '../validation.js';
import { ConsumerMetrics } from './metrics.js';
import { DEFAULT_METRICS_NAMESPACE } from './names.js';
import { Tracing } from './tracing.js';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * The environment that turns metrics and tracing on. The stack sets
 * POWERTOOLS_METRICS_NAMESPACE and, with `tracing: true`, PORT_KAFKA_TRACING.
 */
const TelemetryEnv = z.object({
  /** EMF metrics on stdout. Default: on inside Lambda (AWS_LAMBDA_FUNCTION_NAME is set), off elsewhere (local tools, the long-lived consumer). */
  PORT_KAFKA_METRICS: flag.optional(),
  /** X-Ray subsegments through Powertools Tracer; the function's tracing mode must be Active too. */
  PORT_KAFKA_TRACING: flag.default(false),
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  POWERTOOLS_SERVICE_NAME: z.string().optional(),
  /** CloudWatch namespace of the metrics; the stack sets `PortKafkaLambda/<stack name>`. */
  POWERTOOLS_METRICS_NAMESPACE: z
    .string()
    .regex(/^(?!AWS\/)[A-Za-z0-9._\-/#:]{1,255}$/, 'expected a CloudWatch namespace (1-255 of A-Z a-z 0-9 . _ - / # :, not starting AWS/)')
    .optional(),
});

const TelemetryConfigSchema = TelemetryEnv.transform((e) => ({
  metrics: e.PORT_KAFKA_METRICS ?? e.AWS_LAMBDA_FUNCTION_NAME !== undefined,
  tracing: e.PORT_KAFKA_TRACING,
  serviceName: e.POWERTOOLS_SERVICE_NAME,
  namespace: e.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
}));
type TelemetryConfig = z.output<typeof TelemetryConfigSchema>;

/** What the handler reports through: either may be absent (then nothing is counted or traced). */
interface Telemetry {
  metrics?: ConsumerMetrics;
  tracing?: Tracing;
}

/**
 * Reads the telemetry settings.
 * @throws ConfigError with one line per bad variable (never its value).
 */
const loadTelemetryConfig = (env: NodeJS.ProcessEnv = process.env): TelemetryConfig => {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = TelemetryConfigSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid telemetry configuration:\n${issueLines(parsed.error)
        .map((l) => `  - ${l}`)
        .join('\n')}`,
      {
        cause: parsed.error,
      }
    );
  }
  return parsed.data;
};

/** Metrics and tracing as the environment asks; the tracer module starts loading now when tracing is on. */
const createTelemetry = (config: TelemetryConfig): Telemetry => ({
  ...(config.metrics
    ? {
        metrics: new ConsumerMetrics({
          metrics: new Metrics({
            namespace: config.namespace,
            ...(config.serviceName === undefined ? {} : { serviceName: config.serviceName }),
          }),
        }),
      }
    : {}),
  ...(config.tracing ? { tracing: new Tracing(config.serviceName === undefined ? {} : { serviceName: config.serviceName }) } : {}),
});

export type { Telemetry, TelemetryConfig };
export { createTelemetry, loadTelemetryConfig };
