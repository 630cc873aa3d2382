import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/errors.js';
import { createTelemetry, loadTelemetryConfig } from '../../../src/telemetry/telemetry.js';
import { captureLogs } from '../../../src/testing/logs.js';

describe('telemetry settings', () => {
  it('turns metrics on inside Lambda and off elsewhere, tracing off, unless told', () => {
    expect(loadTelemetryConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toEqual({
      metrics: true,
      tracing: false,
      namespace: 'PortKafkaLambda',
    });
    expect(loadTelemetryConfig({})).toMatchObject({ metrics: false, tracing: false });
    expect(loadTelemetryConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn', PORT_KAFKA_METRICS: 'false' }).metrics).toBe(false);
    expect(loadTelemetryConfig({ PORT_KAFKA_METRICS: '1', PORT_KAFKA_TRACING: 'true' })).toMatchObject({ metrics: true, tracing: true });
    expect(loadTelemetryConfig({ POWERTOOLS_METRICS_NAMESPACE: 'PortKafkaLambda/Prod', POWERTOOLS_SERVICE_NAME: 'svc' })).toMatchObject({
      namespace: 'PortKafkaLambda/Prod',
      serviceName: 'svc',
    });
  });

  it('refuses a bad value with one line naming the variable, not the value', () => {
    let error: unknown;
    try {
      loadTelemetryConfig({ PORT_KAFKA_TRACING: 'yes-please', POWERTOOLS_METRICS_NAMESPACE: 'AWS/Lambda' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split('\n').slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ {2}- PORT_KAFKA_TRACING: /);
    expect(lines[1]).toMatch(/^ {2}- POWERTOOLS_METRICS_NAMESPACE: expected a CloudWatch namespace/);
    expect((error as Error).message).not.toContain('yes-please');
  });

  it('builds only what is on: no tracer object without tracing, no metrics without metrics', () => {
    expect(createTelemetry({ metrics: false, tracing: false, namespace: 'X', serviceName: undefined })).toEqual({});
    const on = createTelemetry({ metrics: true, tracing: false, namespace: 'PortKafkaLambda/Test', serviceName: 'svc' });
    expect(on.tracing).toBeUndefined();
    // The metrics go to the configured namespace, with the service as a dimension.
    on.metrics?.ledgerError();
    const logs = captureLogs();
    try {
      on.metrics?.flush();
    } finally {
      logs.restore();
    }
    expect(logs.entries()).toEqual([
      expect.objectContaining({
        service: 'svc',
        LedgerErrors: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'PortKafkaLambda/Test', Dimensions: [['service']] })],
        }),
      }),
    ]);
  });
});
