/**
 * Long-running actions, inline versus durable: one partition holding a
 * 20-minute run followed by 50 short runs, and how long until the 50 short
 * runs are reported. Both use the real Middy handler against the Port
 * emulator (20 ms per Port call); the durable side starts its execution over
 * real HTTP on the loopback Lambda Invoke endpoint the tests use.
 *
 * Inline, the 20-minute run cannot finish: Lambda stops a Kafka-triggered
 * function at its timeout (at most 840 s with this stack), so the run is
 * reported timed out at 840 s less the 5 s margin, and the records behind it
 * are left for the next invocation. That first invocation is run here on a
 * clock shrunk 600 times (its deadline, margins and the action's 20 minutes
 * alike) and scaled back; the second, which handles the 50 short runs, runs in
 * real time. Durable, nothing is scaled: the handler hands the long run over
 * and goes straight on to the short ones.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import { type ActionDefinition, defineAction } from '../src/actions/define.js';
import type { BatchReport } from '../src/batch/outcome.js';
import { loadConfig } from '../src/config.js';
import { createDurableDispatcher } from '../src/durable/dispatch.js';
import { createLambdaLaunch } from '../src/durable/lambda-launch.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../src/emulator/index.js';
import { createHandler } from '../src/handler.js';
import { MemoryParker } from '../src/parking/parker.js';
import { createPortClient } from '../src/port/client.js';
import { MemoryRunLedger } from '../src/runs/ledger/memory.js';
import { kafkaEvent, kafkaRecord, lambdaContext, ORG_ID, v1Run } from '../src/testing/factories.js';
import { startLambdaInvokeServer } from '../test/helpers/lambda-invoke-server.js';

const SHORT_RUNS = 50;
const LONG_RUN_MS = 20 * 60_000;
const FUNCTION_TIMEOUT_MS = 840_000;
const LATENCY_MS = 20;
/** The inline first invocation's clock runs this many times faster. */
const SHRINK = 600;

const short = defineAction({
  identifier: 'bench_short',
  inputs: z.looseObject({}),
  async handler({ runId }) {
    return { summary: `done ${runId}` };
  },
});

const longInline = (sleepMs: number) =>
  defineAction({
    identifier: 'bench_rollout',
    inputs: z.looseObject({}),
    async handler(_input, ctx) {
      await sleep(sleepMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      return { summary: 'rolled out' };
    },
  });

const longDurable = defineAction({
  identifier: 'bench_rollout',
  durable: { timeout: '1h' },
  inputs: z.looseObject({}),
  async handler(_input, ctx) {
    await ctx.wait('roll out', '20m');
    return { summary: 'rolled out' };
  },
});

const credentials = async () => ({ ...DEFAULT_EMULATOR_CLIENT });

/** The partition: the long run first, then the short ones, in offset order. */
const partition = (emulator: PortEmulator, tag: string) => {
  const longId = `r_benchlong${tag}`;
  const shortIds = Array.from({ length: SHORT_RUNS }, (_, i) => `r_benchshort${tag}${String(i).padStart(3, '0')}`);
  emulator.createRun({ id: longId, action: 'bench_rollout' });
  for (const id of shortIds) emulator.createRun({ id, action: 'bench_short' });
  const records = [longId, ...shortIds].map((id, i) =>
    kafkaRecord({ value: v1Run(id === longId ? 'bench_rollout' : 'bench_short', {}, id), partition: 0, offset: 5_000 + i })
  );
  return { longId, shortIds, records };
};

const handlerFor = (
  emulator: PortEmulator,
  actions: readonly ActionDefinition[],
  env: Record<string, string>,
  extra: Partial<Parameters<typeof createHandler>[0]> = {}
) => {
  const reports: BatchReport[] = [];
  const handler = createHandler({
    config: loadConfig({ PORT_ORG_ID: ORG_ID, REPORT_BATCH_ITEM_FAILURES: 'true', ...env }),
    logger: new Logger({ serviceName: 'bench', logLevel: 'SILENT' }),
    port: createPortClient({ baseUrl: emulator.url, credentials }),
    credentials,
    actions,
    changeHandlers: [],
    parker: new MemoryParker(),
    ledger: new MemoryRunLedger(),
    functionName: 'bench',
    onReport: (r) => reports.push(r),
    ...extra,
  });
  return { handler, reports };
};

const inline = async (emulator: PortEmulator) => {
  const { longId, shortIds, records } = partition(emulator, 'inline');
  // The first invocation on the shrunk clock: its deadline, its margins and the action's 20 minutes.
  const first = handlerFor(emulator, [longInline(LONG_RUN_MS / SHRINK), short], {
    RUN_START_MIN_REMAINING_MS: String(Math.ceil(20_000 / SHRINK)),
    RUN_DEADLINE_MARGIN_MS: String(Math.ceil(5_000 / SHRINK)),
  });
  // Its few Port calls are not shrunk: without latency there, so that scaling back does not inflate them 600 times.
  emulator.latencyMs = 0;
  const started = performance.now();
  await first.handler(kafkaEvent(records), lambdaContext(FUNCTION_TIMEOUT_MS / SHRINK));
  const firstMs = (performance.now() - started) * SHRINK;
  emulator.latencyMs = LATENCY_MS;
  const left = first.reports[0]?.outcomes.filter((o) => o.status === 'retry').length ?? 0;
  // The next invocation gets what the first left, in real time (the 20 ms Port calls are not shrunk).
  const retried = records.slice(records.length - left);
  const second = handlerFor(emulator, [short], {});
  const secondStarted = performance.now();
  await second.handler(kafkaEvent(retried), lambdaContext(FUNCTION_TIMEOUT_MS));
  const secondMs = performance.now() - secondStarted;
  return {
    shortReportedMs: firstMs + secondMs,
    firstMs,
    left,
    shortDone: shortIds.filter((id) => emulator.getRun(id)?.status === 'SUCCESS').length,
    long: `${emulator.getRun(longId)?.status}${emulator.getRun(longId)?.summary?.startsWith('Timed out') ? ' "timed out"' : ''}`,
  };
};

const durable = async (emulator: PortEmulator) => {
  const lambda = await startLambdaInvokeServer({ functions: ['bench-run-executor'] });
  const client = new LambdaClient({ endpoint: lambda.endpoint, region: lambda.region, credentials: lambda.credentials });
  try {
    const { longId, shortIds, records } = partition(emulator, 'durable');
    const launch = createLambdaLaunch({ functionName: `${lambda.arnOf('bench-run-executor')}:live`, client: async () => client });
    const { handler, reports } = handlerFor(
      emulator,
      [longDurable, short],
      {},
      {
        durable: (shared) => createDurableDispatcher({ ...shared, launch }),
      }
    );
    const started = performance.now();
    await handler(kafkaEvent(records), lambdaContext(FUNCTION_TIMEOUT_MS));
    const wallMs = performance.now() - started;
    const dispatch = reports[0]?.outcomes.find((o) => o.runId === longId);
    return {
      shortReportedMs: wallMs,
      shortDone: shortIds.filter((id) => emulator.getRun(id)?.status === 'SUCCESS').length,
      long: `${dispatch?.reason} (execution ${[...lambda.executions.keys()][0] ?? '?'}; SUCCESS after its 20 minutes)`,
    };
  } finally {
    client.destroy();
    await lambda.close();
  }
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;

/** Prints the time until the 50 short runs are reported, with the long run inline and durable. */
async function benchDurable(): Promise<void> {
  const emulator = await startPortEmulator({ autoCreateRuns: false });
  try {
    // Warm-up (token, sockets, JIT), not measured.
    const warm = handlerFor(emulator, [short], {});
    emulator.createRun({ id: 'r_benchwarm', action: 'bench_short' });
    await warm.handler(
      kafkaEvent([kafkaRecord({ value: v1Run('bench_short', {}, 'r_benchwarm'), partition: 0, offset: 1 })]),
      lambdaContext()
    );
    emulator.latencyMs = LATENCY_MS;

    const i = await inline(emulator);
    const d = await durable(emulator);
    console.log(
      `One partition: a 20-minute run, then ${SHORT_RUNS} short runs; ${LATENCY_MS} ms per Port call; function timeout ${FUNCTION_TIMEOUT_MS / 1000} s`
    );
    console.log(
      `inline : ${SHORT_RUNS} short runs reported after ${seconds(i.shortReportedMs)} (the long run held the partition ${seconds(i.firstMs)}, then ${i.left} records waited for the next invocation); ${i.shortDone}/${SHORT_RUNS} SUCCESS; long run ${i.long}`
    );
    console.log(
      `durable: ${SHORT_RUNS} short runs reported after ${seconds(d.shortReportedMs)}; ${d.shortDone}/${SHORT_RUNS} SUCCESS; long run ${d.long}`
    );
    console.log(
      `→ ${(i.shortReportedMs / d.shortReportedMs).toFixed(0)}x sooner with the long run durable; inline it cannot even finish (Lambda's ${FUNCTION_TIMEOUT_MS / 1000} s).`
    );
    console.log(
      "The inline figure leaves out the event source mapping's redelivery delay before the next invocation, which only adds to it."
    );
  } finally {
    await emulator.close();
  }
}

export { benchDurable };
