import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { RecordOutcome } from '../../src/batch/outcome.js';
import { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER } from '../../src/cdk/bundling.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import type { FaultResponse } from '../../src/emulator/types.js';
import type { KafkaBatchResponse } from '../../src/kafka/event.js';
import { INTERRUPTED_SUMMARY } from '../../src/runs/report.js';
import { kafkaRecord, type LambdaKafkaRecord, ORG_ID, RUNS_TOPIC, v1Run } from '../../src/testing/factories.js';
import { startDynamoDb } from '../helpers/dynamodb.js';
import { FAIL_ACTIONS, RERUN_ACTIONS, summaryOf } from './app.js';

/**
 * The chaos proof: runs go through the real handler in child processes that
 * share only the run ledger (dynalite) and Port (the emulator). Port fails a
 * seeded share of all calls (429, 5xx, or the connection dropped after the call
 * was applied); the driver SIGKILLs containers at random points and delivers
 * each unfinished batch again to a fresh one, as Lambda's event source mapping
 * would, honouring batchItemFailures and thrown errors. Afterwards every run
 * must have ended in Port exactly once, and no action whose policy is not
 * 'rerun' may have executed a run twice.
 */

interface ChaosOptions {
  runs?: number;
  partitions?: number;
  /** Share of Port calls that fail. */
  faultRate?: number;
  seed?: number;
  /** Kills to aim for (each batch is a candidate until this many happened). */
  kills?: number;
  /** Records per partition in one batch. */
  batchSize?: number;
  /** What each invocation's context says is left before its deadline. */
  invocationMs?: number;
  /** Give up (and throw) after this long. */
  timeLimitMs?: number;
  log?: (line: string) => void;
}

/** What became of one run, read back from Port, the executions file and the emulator's endings. */
interface RunFate {
  runId: string;
  action: string;
  policy: 'fail' | 'rerun';
  /** The action was told to throw. */
  failing: boolean;
  status: string;
  summary: string | null;
  executions: number;
  /** Accepted changes that ended the run. */
  endings: number;
}

interface ChaosResult {
  runs: number;
  partitions: number;
  invocations: number;
  /** SIGKILLs at a random point. */
  kills: number;
  /** Deliveries of a record after its first. */
  redeliveries: number;
  portRequests: number;
  faults: { total: number; tooManyRequests: number; serverErrors: number; droppedAfterHandling: number };
  executions: number;
  /** Executions beyond a run's first (only 'rerun' actions may have any). */
  reruns: number;
  interruptedFailures: number;
  succeeded: number;
  failed: number;
  /** What the handler reported per record, over all invocations (reason → count). */
  outcomeReasons: Record<string, number>;
  durationMs: number;
  fates: RunFate[];
}

/** mulberry32: a small seeded generator, so a run's choices can be replayed. */
const seeded = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Bundles the child once, like the Lambda asset: a container then starts in a fraction of a second. */
const bundleChild = async (dir: string): Promise<string> => {
  const outfile = join(dir, 'child.mjs');
  await build({
    entryPoints: [CHILD_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    conditions: [...BUNDLE_CONDITIONS],
    mainFields: ['module', 'main'],
    banner: { js: CREATE_REQUIRE_BANNER },
    logLevel: 'warning',
  });
  return outfile;
};

interface Reply {
  id?: number;
  ready?: boolean;
  response?: KafkaBatchResponse;
  error?: string;
  outcomes?: RecordOutcome[];
}

/** A container: a child process and a way to wait for its next reply or its death. */
class Container {
  readonly child: ChildProcess;
  #pending: ((reply: Reply | 'exited') => void) | undefined;
  #exited = false;
  readonly stderr: string[] = [];

  constructor(file: string, env: NodeJS.ProcessEnv) {
    this.child = fork(file, [], { env, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk.toString('utf8'));
      if (this.stderr.length > 50) this.stderr.shift();
    });
    this.child.on('message', (reply: Reply) => this.#pending?.(reply));
    this.child.on('exit', () => {
      this.#exited = true;
      this.#pending?.('exited');
    });
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The next reply, or 'exited' when the process died first. */
  next(): Promise<Reply | 'exited'> {
    if (this.#exited) return Promise.resolve('exited');
    return new Promise((resolve) => {
      this.#pending = (reply) => {
        this.#pending = undefined;
        resolve(reply);
      };
    });
  }

  kill(): void {
    if (!this.#exited) this.child.kill('SIGKILL');
  }
}

const runChaos = async (options: ChaosOptions = {}): Promise<ChaosResult> => {
  const runs = options.runs ?? 500;
  const partitions = options.partitions ?? 5;
  const faultRate = options.faultRate ?? 0.3;
  const seed = options.seed ?? 12;
  const targetKills = options.kills ?? 8;
  const batchSize = options.batchSize ?? 10;
  const invocationMs = options.invocationMs ?? 3_000;
  const timeLimitMs = options.timeLimitMs ?? 150_000;
  const log = options.log ?? (() => undefined);
  const random = seeded(seed);
  const startedAt = Date.now();

  const dir = await mkdtemp(join(tmpdir(), 'port-kafka-chaos-'));
  const executionsFile = join(dir, 'executions.log');
  await writeFile(executionsFile, '');
  const db = await startDynamoDb();
  const emulator: PortEmulator = await startPortEmulator();
  let container: Container | undefined;
  try {
    const table = await db.createLedgerTable();
    const childFile = await bundleChild(dir);

    // The runs: 1 in 5 of a 'rerun' action, 1 in 10 told to fail; spread over the partitions.
    const plan = Array.from({ length: runs }, (_, i) => {
      const rerun = i % 5 === 0;
      const action = rerun ? RERUN_ACTIONS[0] : FAIL_ACTIONS[i % FAIL_ACTIONS.length]!;
      return {
        runId: `r_chaos${String(i).padStart(4, '0')}`,
        action,
        policy: rerun ? ('rerun' as const) : ('fail' as const),
        failing: random() < 0.1,
        n: i,
      };
    });
    const byPartition: LambdaKafkaRecord[][] = Array.from({ length: partitions }, () => []);
    for (const [i, run] of plan.entries()) {
      emulator.createRun({ id: run.runId, action: run.action });
      const partition = i % partitions;
      const records = byPartition[partition]!;
      records.push(
        kafkaRecord({
          value: v1Run(run.action, { n: run.n, fail: run.failing }, run.runId),
          topic: RUNS_TOPIC,
          partition,
          offset: records.length,
        })
      );
    }

    // Port fails a seeded share of every call.
    const faults = { total: 0, tooManyRequests: 0, serverErrors: 0, droppedAfterHandling: 0 };
    emulator.faultPolicy = (): FaultResponse | undefined => {
      if (random() >= faultRate) return undefined;
      faults.total++;
      const kind = random();
      if (kind < 1 / 3) {
        faults.tooManyRequests++;
        return { status: 429 };
      }
      if (kind < 2 / 3) {
        faults.serverErrors++;
        return { status: [500, 502, 503][Math.floor(random() * 3)] ?? 503 };
      }
      faults.droppedAfterHandling++;
      return { drop: true, afterHandling: true };
    };

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      PORT_ORG_ID: ORG_ID,
      PORT_API_URL: emulator.url,
      PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
      PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
      RUN_LEDGER_TABLE: table,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: db.region,
      AWS_ACCESS_KEY_ID: db.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: db.credentials.secretAccessKey,
      REPORT_BATCH_ITEM_FAILURES: 'true',
      PARTITION_CONCURRENCY: String(partitions),
      RUN_START_MIN_REMAINING_MS: '500',
      RUN_DEADLINE_MARGIN_MS: '200',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      CHAOS_EXECUTIONS_FILE: executionsFile,
      CHAOS_CLAIM_GRACE_MS: '300',
    };

    const committed = Array.from({ length: partitions }, () => 0);
    const deliveries = byPartition.map((records) => records.map(() => 0));
    const outcomeReasons: Record<string, number> = {};
    let invocations = 0;
    let kills = 0;
    let nextId = 0;
    // Kill points spread over the run: once this many records are done, the batches
    // that follow get a SIGKILL at a random moment until one lands mid-batch.
    const killPoints = Array.from({ length: targetKills }, () => Math.floor(random() * runs * 0.8)).sort((a, b) => a - b);

    const remaining = () => committed.some((c, p) => c < byPartition[p]!.length);
    while (remaining()) {
      if (Date.now() - startedAt > timeLimitMs) {
        throw new Error(
          `Chaos run did not finish in ${timeLimitMs} ms: committed ${committed.join('/')} of ${byPartition.map((r) => r.length).join('/')}; last container stderr: ${container?.stderr.join('').slice(-2000) ?? ''}`
        );
      }
      if (container === undefined || container.exited) {
        container = new Container(childFile, env);
        const ready = await container.next();
        if (ready === 'exited') throw new Error(`A container died on start: ${container.stderr.join('').slice(-2000)}`);
      }
      // The batch: up to batchSize records of every partition, from its committed offset on.
      const records: LambdaKafkaRecord[] = [];
      for (let p = 0; p < partitions; p++) {
        const slice = byPartition[p]!.slice(committed[p], committed[p]! + batchSize);
        for (const r of slice) deliveries[p]![r.offset]!++;
        records.push(...slice);
      }
      const id = nextId++;
      invocations++;
      const answer = container.next();
      container.child.send({ id, records, remainingMs: invocationMs });
      const done = committed.reduce((a, b) => a + b, 0);
      const doomed = kills < killPoints.length && done >= killPoints[kills]!;
      const victim = container;
      const killTimer = doomed ? setTimeout(() => victim.kill(), 10 + Math.floor(random() * 200)) : undefined;
      // Lambda ends an invocation that outlives its deadline the same way.
      const timeoutTimer = setTimeout(() => victim.kill(), invocationMs + 5_000);
      const reply = await answer;
      clearTimeout(killTimer);
      clearTimeout(timeoutTimer);

      const before = committed.reduce((a, b) => a + b, 0);
      if (reply === 'exited') {
        kills++;
        log(`container ${victim.child.pid} killed during batch ${id}`);
        container = undefined;
      } else {
        for (const o of reply.outcomes ?? [])
          outcomeReasons[`${o.status}:${o.reason}`] = (outcomeReasons[`${o.status}:${o.reason}`] ?? 0) + 1;
        if (reply.response !== undefined) {
          // Each partition resumes at its lowest failed offset; the rest of its slice is done.
          for (let p = 0; p < partitions; p++) {
            const failed = reply.response.batchItemFailures
              .filter((f) => f.itemIdentifier.partition === `${RUNS_TOPIC}-${p}`)
              .map((f) => f.itemIdentifier.offset);
            const sliceEnd = Math.min(committed[p]! + batchSize, byPartition[p]!.length);
            committed[p] = failed.length > 0 ? Math.min(...failed) : sliceEnd;
          }
        }
        // A thrown error (no response) means the whole batch comes again.
      }
      if (committed.reduce((a, b) => a + b, 0) === before) await sleep(100);
    }
    container?.kill();
    emulator.faultPolicy = undefined;

    const executionLines = (await readFile(executionsFile, 'utf8')).split('\n').filter((l) => l !== '');
    const executed = new Map<string, number>();
    for (const runId of executionLines) executed.set(runId, (executed.get(runId) ?? 0) + 1);
    const endings = new Map<string, number>();
    for (const e of emulator.endings) endings.set(e.runId, (endings.get(e.runId) ?? 0) + 1);
    const fates: RunFate[] = plan.map((run) => {
      const state = emulator.getRun(run.runId);
      return {
        runId: run.runId,
        action: run.action,
        policy: run.policy,
        failing: run.failing,
        status: state?.status ?? 'MISSING',
        summary: state?.summary ?? null,
        executions: executed.get(run.runId) ?? 0,
        endings: endings.get(run.runId) ?? 0,
      };
    });
    return {
      runs,
      partitions,
      invocations,
      kills,
      redeliveries: deliveries.flat().reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      portRequests: emulator.requests.length,
      faults,
      executions: executionLines.length,
      reruns: fates.reduce((sum, f) => sum + Math.max(0, f.executions - 1), 0),
      interruptedFailures: fates.filter((f) => f.summary === INTERRUPTED_SUMMARY).length,
      succeeded: fates.filter((f) => f.status === 'SUCCESS').length,
      failed: fates.filter((f) => f.status === 'FAILURE').length,
      outcomeReasons,
      durationMs: Date.now() - startedAt,
      fates,
    };
  } finally {
    container?.kill();
    await emulator.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
};

/**
 * The promises, as lines naming each run that breaks one (empty: all held):
 * every run ended in Port exactly once; a 'fail' action never executed a run
 * twice; the way each run ended matches what happened to it.
 */
const violations = (result: ChaosResult): string[] => {
  const problems: string[] = [];
  for (const f of result.fates) {
    if (f.endings !== 1) problems.push(`${f.runId}: ended ${f.endings} times in Port (status ${f.status})`);
    if (f.policy === 'fail' && f.executions > 1)
      problems.push(`${f.runId}: executed ${f.executions} times by ${f.action} (onInterrupted: 'fail')`);
    if (f.status === 'SUCCESS' && (f.failing || f.summary !== summaryOf(f.action, f.runId) || f.executions === 0)) {
      problems.push(
        `${f.runId}: SUCCESS that does not match its execution (summary ${JSON.stringify(f.summary)}, executions ${f.executions})`
      );
    }
    if (f.status === 'FAILURE' && f.summary !== INTERRUPTED_SUMMARY && !(f.failing || /failed: /.test(f.summary ?? ''))) {
      problems.push(`${f.runId}: FAILURE for an unexpected reason: ${JSON.stringify(f.summary)}`);
    }
    if (f.summary === INTERRUPTED_SUMMARY && f.policy === 'rerun')
      problems.push(`${f.runId}: a 'rerun' action's run was ended as interrupted`);
  }
  return problems;
};

/** The figures, one line each, for the test's output and `npm run chaos`. */
const figures = (r: ChaosResult): string[] => [
  `runs: ${r.runs} over ${r.partitions} partitions, ${r.invocations} invocations in ${(r.durationMs / 1000).toFixed(1)} s`,
  `containers SIGKILLed mid-batch: ${r.kills}; record redeliveries: ${r.redeliveries}`,
  `Port requests: ${r.portRequests}; faults injected: ${r.faults.total} (429: ${r.faults.tooManyRequests}, 5xx: ${r.faults.serverErrors}, dropped after handling: ${r.faults.droppedAfterHandling})`,
  `action executions: ${r.executions} (reruns by 'rerun' actions: ${r.reruns})`,
  `ended: ${r.succeeded} SUCCESS, ${r.failed} FAILURE (interrupted: ${r.interruptedFailures}); runs ended more or less than once: ${r.fates.filter((f) => f.endings !== 1).length}`,
  `handler outcomes: ${Object.entries(r.outcomeReasons)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
];

export type { ChaosOptions, ChaosResult, RunFate };
export { figures, runChaos, violations };
