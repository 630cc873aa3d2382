/**
 * Run lifecycle benchmark: a batch of 100 runs over 10 partitions, every Port
 * call delayed 20 ms by the emulator, through the real Middy handler. Plain
 * Node ESM (no Jest globals):
 *
 *   npx tsx -e "import('./test/bench/lifecycle.ts').then(m => m.benchLifecycle())"
 */
import * as z from 'zod';
import type { ActionDefinition } from '../src/actions/define.js';
import { defineAction } from '../src/actions/define.js';
import { exampleApp } from '../test/helpers/example-app.js';

/** The template's create_vm example action. */
const createVm = (): ActionDefinition => {
  const action = exampleApp.actions.find((a) => a.identifier === 'create_vm');
  if (!action) throw new Error('the example app has no create_vm action');
  return action;
};

import { startPortEmulator } from '../src/emulator/index.js';
import { kafkaEvent, kafkaRecord, lambdaContext, v1Run } from '../src/testing/factories.js';
import { createHarness } from '../test/helpers/harness.js';

const RUNS = 100;
const PARTITIONS = 10;
const LATENCY_MS = 20;

/** An action that makes no Port calls of its own: only the lifecycle's calls remain. */
const noop = defineAction({
  identifier: 'bench_noop',
  inputs: z.looseObject({}),
  async handler({ runId }) {
    return { summary: `done ${runId}` };
  },
});

interface Scenario {
  label: string;
  action: ActionDefinition;
  inputs: Record<string, unknown>;
  partitionConcurrency: number;
  /** One handler invocation per record instead of one for the whole batch. */
  perRecord: boolean;
}

interface Measured {
  scenario: Scenario;
  wallMs: number;
  ended: number;
  /** Run, log and entity calls per run (token calls excluded). */
  callsPerRun: number;
  tokenCalls: number;
}

const measure = async (scenario: Scenario): Promise<Measured> => {
  const emulator = await startPortEmulator({ autoCreateRuns: false });
  const h = await createHarness({
    emulator,
    actions: [scenario.action],
    config: { partitionConcurrency: scenario.partitionConcurrency },
  });
  try {
    // Warm-up without latency (token, keep-alive sockets, JIT), not measured.
    const warmIds = Array.from({ length: 2 * PARTITIONS }, (_, i) => `r_benchwarm${i}`);
    for (const id of warmIds) emulator.createRun({ id, action: scenario.action.identifier });
    await h.handler(
      kafkaEvent(
        warmIds.map((id, i) =>
          kafkaRecord({ value: v1Run(scenario.action.identifier, scenario.inputs, id), partition: i % PARTITIONS, offset: i })
        )
      ),
      lambdaContext()
    );

    const runIds = Array.from({ length: RUNS }, (_, i) => `r_bench${String(i).padStart(4, '0')}`);
    for (const id of runIds) emulator.createRun({ id, action: scenario.action.identifier });
    const records = runIds.map((id, i) =>
      kafkaRecord({
        value: v1Run(scenario.action.identifier, scenario.inputs, id),
        partition: i % PARTITIONS,
        offset: 1_000 + Math.floor(i / PARTITIONS),
      })
    );
    emulator.latencyMs = LATENCY_MS;
    const firstRequest = emulator.requests.length;

    const startedAt = performance.now();
    if (scenario.perRecord) {
      // In offset order per partition, partitions interleaved: what one-at-a-time delivery would do.
      for (const record of records) await h.handler(kafkaEvent([record]), lambdaContext());
    } else {
      await h.handler(kafkaEvent(records), lambdaContext());
    }
    const wallMs = performance.now() - startedAt;

    const requests = emulator.requests.slice(firstRequest);
    const tokenCalls = requests.filter((r) => r.path === '/v1/auth/access_token').length;
    return {
      scenario,
      wallMs,
      ended: runIds.filter((id) => emulator.getRun(id)?.status === 'SUCCESS').length,
      callsPerRun: (requests.length - tokenCalls) / RUNS,
      tokenCalls,
    };
  } finally {
    h.port.close();
    await h.close();
  }
};

const table = (rows: string[][]): string => {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
};

/** Prints wall time and Port calls per run for the batch handled concurrently versus one record at a time. */
async function benchLifecycle(): Promise<void> {
  const vmInputs = { cpu: 2, memory: 4, storage: 50, region: 'eu-west-1' };
  const scenarios: Scenario[] = [
    { label: 'no-op action, partition concurrency 10', action: noop, inputs: {}, partitionConcurrency: 10, perRecord: false },
    { label: 'no-op action, partition concurrency 1', action: noop, inputs: {}, partitionConcurrency: 1, perRecord: false },
    { label: 'no-op action, one invocation per record', action: noop, inputs: {}, partitionConcurrency: 10, perRecord: true },
    { label: 'create_vm, partition concurrency 10', action: createVm(), inputs: vmInputs, partitionConcurrency: 10, perRecord: false },
    { label: 'create_vm, partition concurrency 1', action: createVm(), inputs: vmInputs, partitionConcurrency: 1, perRecord: false },
  ];
  const results: Measured[] = [];
  for (const scenario of scenarios) results.push(await measure(scenario));

  const baseline = new Map<string, number>();
  for (const r of results)
    if (r.scenario.partitionConcurrency === 10 && !r.scenario.perRecord) baseline.set(r.scenario.action.identifier, r.wallMs);

  console.log(
    `Run lifecycle: ${RUNS} runs over ${PARTITIONS} partitions, ${LATENCY_MS} ms emulator latency per Port call, real Middy handler`
  );
  console.log(
    table([
      ['scenario', 'wall ms', 'runs/s', 'x vs conc. 10', 'Port calls/run', 'token calls', 'SUCCESS'],
      ...results.map((r) => [
        r.scenario.label,
        r.wallMs.toFixed(0),
        ((RUNS * 1000) / r.wallMs).toFixed(1),
        (r.wallMs / (baseline.get(r.scenario.action.identifier) ?? r.wallMs)).toFixed(1),
        r.callsPerRun.toFixed(2),
        String(r.tokenCalls),
        `${r.ended}/${RUNS}`,
      ]),
    ])
  );
  console.log(
    'Port calls per run: no-op = status GET + pickup log + final PATCH; create_vm adds its log, status label, entity upsert and link.'
  );
  console.log('The emulator runs in the same Node process, so its CPU time counts against the concurrent rows: expect less than 10x.');
}

export { benchLifecycle };
