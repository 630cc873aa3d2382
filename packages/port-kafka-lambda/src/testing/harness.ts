import { createPrivateKey, type KeyObject } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDefinition } from '../actions/define.js';
import type { PortKafkaApp } from '../app.js';
import type { BatchReport } from '../batch/outcome.js';
import type { ChangeHandlerDefinition } from '../changes/define.js';
import { type HandlerConfig, loadConfig } from '../config.js';
import { createLocalDurableRuns } from '../durable/local.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../emulator/index.js';
import { createHandler, type HandlerDependencies } from '../handler.js';
import { redactSecrets } from '../logging/redact.js';
import { MemoryParker } from '../parking/parker.js';
import { createPortClient } from '../port/client.js';
import type { CredentialsLoader } from '../port/credentials.js';
import type { RunLedger } from '../runs/ledger/ledger.js';
import { MemoryRunLedger } from '../runs/ledger/memory.js';
import { ORG_ID } from './factories.js';

interface HarnessOptions {
  /** The team's app; `actions` and `changeHandlers` override its lists. */
  app?: PortKafkaApp;
  actions?: readonly ActionDefinition[];
  changeHandlers?: readonly ChangeHandlerDefinition[];
  config?: Partial<HandlerConfig>;
  emulator?: PortEmulator;
  /** Fast retries so outage tests stay quick. */
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number; budgetMs?: number };
  runs?: HandlerDependencies['runs'];
  /**
   * Where runs are claimed and reports stored; default a ledger of this harness's
   * own. Give two harnesses one DynamoDB ledger to play two containers.
   */
  ledger?: RunLedger;
  /** The run lifecycle's clock (and the default ledger's): move it to let claims lapse. */
  now?: () => number;
  /** Port credentials; default the emulator's client. */
  credentials?: CredentialsLoader;
  /** RSA private key (PEM or KeyObject) for client-side encrypted secret inputs (`encryptClientSideSecretInput`). */
  secretInputsPrivateKey?: string | KeyObject;
  /** Tests that assert on log lines raise this; the default keeps test output quiet. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * Durable actions run in this process under the durable SDK's local runner,
   * and the handler call returns once their run ended (its outcome is the
   * run's). `skipWaits` (default true) skips waits with the SDK's fake clock,
   * which fakes this process's timers while a durable run executes; `waitScale`
   * shortens them on real time instead.
   */
  durable?: { skipWaits?: boolean; waitScale?: number };
}

const harnessKey = (key: string | KeyObject) => {
  const object = typeof key === 'string' ? createPrivateKey(key) : key;
  return async () => object;
};

/**
 * The real handler, wired like production but pointed at a Port emulator on
 * 127.0.0.1, with an in-memory parker and a silent logger (raise `logLevel`
 * to assert on log lines).
 *
 * @example
 * ```ts
 * import { createHarness, kafkaEvent, kafkaRecord, lambdaContext } from 'port-kafka-lambda/testing';
 * import app from '../../lambda/app.js';
 *
 * const h = await createHarness({ app });
 * h.emulator.createRun({ id: 'r_1', action: 'create_vm' });
 * await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
 * expect(h.emulator.getRun('r_1')?.status).toBe('SUCCESS');
 * await h.close();
 * ```
 */
const createHarness = async (options: HarnessOptions = {}) => {
  const emulator = options.emulator ?? (await startPortEmulator({ autoCreateRuns: false }));
  const credentials: CredentialsLoader = options.credentials ?? (async () => ({ ...DEFAULT_EMULATOR_CLIENT }));
  const ledger = options.ledger ?? new MemoryRunLedger(options.now ? { now: options.now } : {});
  const port = createPortClient({
    baseUrl: emulator.url,
    credentials,
    timeoutMs: 2_000,
    retry: options.retry ?? { retries: 2, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 1_000 },
  });
  const config: HandlerConfig = { ...loadConfig({ PORT_ORG_ID: ORG_ID }), ...options.config };
  const parker = new MemoryParker();
  const reports: BatchReport[] = [];
  const logger = new Logger({ serviceName: 'test', logLevel: options.logLevel ?? 'SILENT', jsonReplacerFn: redactSecrets });
  const actions = options.actions ?? options.app?.actions ?? [];
  const local = createLocalDurableRuns({
    actions,
    credentials,
    functionName: 'port-kafka-lambda-test',
    mode: 'await',
    skipWaits: options.durable?.skipWaits ?? options.durable?.waitScale === undefined,
    ...(options.durable?.waitScale === undefined ? {} : { waitScale: options.durable.waitScale }),
    ...(options.secretInputsPrivateKey === undefined ? {} : { secretInputsKey: harnessKey(options.secretInputsPrivateKey) }),
  });
  const handler = createHandler({
    config,
    logger,
    port,
    credentials,
    durable: local.durable,
    actions,
    changeHandlers: options.changeHandlers ?? options.app?.changeHandlers ?? [],
    ...(options.app?.customRunParser ? { customRunParser: options.app.customRunParser } : {}),
    parker,
    functionName: 'port-kafka-lambda-test',
    ...(options.secretInputsPrivateKey === undefined ? {} : { secretInputsKey: harnessKey(options.secretInputsPrivateKey) }),
    onReport: (r) => reports.push(r),
    ledger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.runs ? { runs: options.runs } : {}),
  });
  return {
    handler,
    emulator,
    port,
    parker,
    ledger,
    reports,
    /** The last batch's outcomes. */
    lastOutcomes: () => reports.at(-1)?.outcomes ?? [],
    /** Durable executions that ended, with their steps, in the order they did. */
    durableExecutions: local.finished,
    close: async () => {
      await local.close();
      await emulator.close();
    },
  };
};

type Harness = Awaited<ReturnType<typeof createHarness>>;

export type { Harness };
export { createHarness };
