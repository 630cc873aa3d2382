import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadConfig } from '../src/config.js';
import { createHandler } from '../src/handler.js';
import { MemoryParker } from '../src/parking/parker.js';
import { createPortClient } from '../src/port/client.js';
import type { RunExecutor } from '../src/runs/execute.js';
import { ConsumerMetrics } from '../src/telemetry/metrics.js';
import { kafkaEvent, kafkaRecord, lambdaContext, loadEvent, ORG_ID } from '../src/testing/factories.js';
import { exampleApp } from '../test/helpers/example-app.js';

/**
 * The handler with everything but the Port lifecycle: decode, validate,
 * normalise, route to the registered action. The run executor answers at once,
 * so the figures are the handler's own per-record cost.
 */
const routingHandler = (onRun?: () => void, options: { metrics?: boolean } = {}) => {
  const runs: RunExecutor = {
    execute: async () => {
      onRun?.();
      return { status: 'SUCCESS', reason: 'bench' };
    },
  };
  return createHandler({
    config: { ...loadConfig({ PORT_ORG_ID: ORG_ID }), partitionConcurrency: 8 },
    logger: new Logger({ serviceName: 'bench', logLevel: 'WARN' }),
    // Never called: the executor above stands in for every Port call.
    port: createPortClient({ baseUrl: 'http://127.0.0.1:9', credentials: async () => ({ clientId: 'x', clientSecret: 'y' }) }),
    credentials: async () => ({ clientId: 'x', clientSecret: 'y' }),
    actions: exampleApp.actions,
    changeHandlers: exampleApp.changeHandlers ?? [],
    parker: new MemoryParker(),
    runs,
    // The production metrics: counted per record, one EMF line per set of dimension values per invocation.
    ...(options.metrics
      ? { telemetry: { metrics: new ConsumerMetrics({ metrics: new Metrics({ namespace: 'Bench', serviceName: 'bench' }) }) } }
      : {}),
  });
};

type V1 = { context: { runId: string } };

/** A batch of `count` distinct v1 create_vm runs over 10 partitions (or `count` if fewer). */
const runBatch = (count: number, pad = 0) => {
  const template = loadEvent<V1 & { payload: { properties: Record<string, unknown> } }>('v1-run-create-vm.json');
  if (pad > 0) template.payload.properties.notes = 'x'.repeat(pad);
  const partitions = Math.min(10, count);
  const records = Array.from({ length: count }, (_, i) => {
    template.context.runId = `r_bench${i.toString().padStart(8, '0')}`;
    return kafkaRecord({ partition: i % partitions, offset: Math.floor(i / partitions), value: template });
  });
  return kafkaEvent(records);
};

/** Base64 decode + JSON.parse of every value: the floor any Kafka consumer pays. */
const baseline = (event: ReturnType<typeof runBatch>): number => {
  let n = 0;
  for (const list of Object.values(event.records)) {
    for (const r of list) {
      if (r.value !== null) n += JSON.parse(Buffer.from(r.value, 'base64').toString('utf8')) ? 1 : 0;
    }
  }
  return n;
};

export { baseline, lambdaContext, routingHandler, runBatch };
