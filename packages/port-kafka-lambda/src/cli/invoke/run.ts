import { isDurable } from '../../actions/define.js';
import { createActionRegistry } from '../../actions/registry.js';
import type { PortKafkaApp } from '../../app.js';
import type { BatchReport } from '../../batch/outcome.js';
import { type HandlerConfig, loadConfig } from '../../config.js';
import { createLocalDurableRuns, type LocalDurableRuns } from '../../durable/local.js';
import { ConfigError } from '../../errors.js';
import { createHandler } from '../../handler.js';
import { MemoryParker } from '../../parking/parker.js';
import { INVOKE_USAGE, type InvokeArgs, parseInvokeArgs } from './args.js';
import { FUNCTION_NAME, localContext } from './context.js';
import { ExitCode, InputError, problemLines } from './errors.js';
import { checkExpectations } from './expect.js';
import { loadBatches } from './inputs.js';
import { createInvokeLogger } from './logger.js';
import { type BatchPlan, planBatches } from './preflight.js';
import { renderHuman, renderJson } from './render.js';
import type { BatchResult } from './result.js';
import { chooseTarget, type RunView, type Target } from './target.js';

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface InvokeExtras {
  /** Printed before everything else in human mode (the demo's welcome). */
  banner?: string;
  /** Printed after the summary in human mode. */
  footer?: string;
  /** Use the emulator whatever the environment says (the demo). */
  forceEmulator?: boolean;
}

const processIo = (): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
});

const readConfig = (env: NodeJS.ProcessEnv): HandlerConfig => {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new InputError(error.message.replace(/\n/g, '; ').replace(':;', ':'), { cause: error });
    throw error;
  }
};

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** The durable actions the planned runs belong to, by identifier. */
const durableRunsIn = (app: PortKafkaApp, plans: readonly BatchPlan[]): string[] => {
  const registry = createActionRegistry(app.actions);
  const found = new Set<string>();
  for (const plan of plans) {
    for (const run of plan.runs) {
      const action = registry.resolve(run.action, run.blueprint);
      if (action && isDurable(action)) found.add(action.identifier);
    }
  }
  return [...found];
};

/** Invokes the handler once per file, in order, as one warm container would. */
const runBatches = async (
  app: PortKafkaApp,
  plans: readonly BatchPlan[],
  target: Target,
  config: HandlerConfig,
  args: InvokeArgs
): Promise<BatchResult[]> => {
  const { verbose, timeoutMs } = args;
  const reports: BatchReport[] = [];
  // Durable actions run here, awaited, under the durable SDK's local runner.
  const local = createLocalDurableRuns({
    actions: app.actions,
    credentials: target.credentials,
    functionName: FUNCTION_NAME,
    mode: 'await',
    skipWaits: args.skipWaits,
    ...(args.waitScale === undefined ? {} : { waitScale: args.waitScale }),
    executionTimeoutMs: config.durableExecutionTimeoutMs,
  });
  try {
    return await invokeEach(app, plans, target, config, verbose, timeoutMs, reports, local);
  } finally {
    await local.close();
  }
};

const invokeEach = async (
  app: PortKafkaApp,
  plans: readonly BatchPlan[],
  target: Target,
  config: HandlerConfig,
  verbose: boolean,
  timeoutMs: number,
  reports: BatchReport[],
  local: LocalDurableRuns
): Promise<BatchResult[]> => {
  const handler = createHandler({
    durable: local.durable,
    config,
    logger: createInvokeLogger(verbose),
    port: target.port,
    credentials: target.credentials,
    actions: app.actions,
    changeHandlers: app.changeHandlers ?? [],
    parker: new MemoryParker(),
    ...(app.customRunParser ? { customRunParser: app.customRunParser } : {}),
    functionName: FUNCTION_NAME,
    onReport: (report) => reports.push(report),
  });
  const results: BatchResult[] = [];
  for (const plan of plans) {
    await target.prepare(plan);
    target.takeEntityWrites();
    reports.length = 0;
    const before = local.finished.length;
    let response: unknown;
    let handlerError: string | undefined;
    try {
      response = await handler(plan.batch.event, localContext(timeoutMs));
    } catch (error) {
      // A whole-batch retry (partial batch responses off) still produced a report.
      handlerError = errorText(error);
    }
    const report = reports[0];
    const runIds = [...new Set((report?.outcomes ?? []).flatMap((o) => (o.runId && o.reason !== 'run-not-found' ? [o.runId] : [])))];
    const runs: RunView[] = [];
    for (const id of runIds) runs.push(await target.viewRun(id));
    results.push({
      plan,
      report,
      ...(response !== undefined ? { response } : {}),
      ...(handlerError ? { handlerError } : {}),
      runs,
      entityChanges: target.takeEntityWrites().filter((w) => w.runId === undefined),
      problems: checkExpectations(report, plan.batch.expect, handlerError),
      durable: local.finished.slice(before),
    });
  }
  return results;
};

/**
 * `npm run invoke`: validates every input (files, shapes, actions, settings)
 * before anything runs, then invokes the real Middy handler per file and
 * prints what Port would show, or a JSON summary. Returns the exit code.
 */
const invoke = async (app: PortKafkaApp, argv: readonly string[], io: Io = processIo(), extras: InvokeExtras = {}): Promise<ExitCode> => {
  let target: Target | undefined;
  try {
    const args = parseInvokeArgs(argv);
    if (args.help) {
      io.stdout(`${INVOKE_USAGE}\n`);
      return ExitCode.Ok;
    }
    const config = readConfig(io.env);
    const batches = await loadBatches(args.paths, {
      cwd: io.cwd,
      ...(config.orgId ? { orgId: config.orgId } : {}),
      ...(app.customRunParser ? { customRunParser: app.customRunParser } : {}),
    });
    const plans = planBatches(batches, app, config.orgId);
    const forcedBy = extras.forceEmulator ? 'the demo always uses it' : args.emulator ? '--emulator' : undefined;
    target = await chooseTarget(config, io.env, forcedBy);
    if (args.json) io.stderr(`${target.announcement}\n`);
    else io.stdout(`${extras.banner ? `${extras.banner}\n\n` : ''}${target.announcement}\n\n`);
    const durable = durableRunsIn(app, plans);
    if (durable.length > 0 && !args.skipWaits && args.waitScale === undefined) {
      // Real waits are what AWS does, but a rollout's polling then takes minutes here.
      io.stderr(
        `invoke: ${durable.join(', ')} ${durable.length === 1 ? 'is a durable action' : 'are durable actions'}: its waits take their real time; --skip-waits skips them, --wait-scale <factor> shortens them\n`
      );
    }

    const results = await runBatches(app, plans, target, config, args);
    const waits = args.skipWaits ? ('skipped' as const) : args.waitScale === undefined ? ('real' as const) : { scale: args.waitScale };
    const summary = { target: { kind: target.kind, url: target.url }, waits, results };
    if (args.json) io.stdout(renderJson(summary));
    else io.stdout(`${renderHuman(summary)}${extras.footer ? `\n${extras.footer}\n` : ''}`);
    return results.every((r) => r.problems.length === 0) ? ExitCode.Ok : ExitCode.NotAsExpected;
  } catch (error) {
    const lines = problemLines(error);
    if (!lines) throw error;
    for (const line of lines) io.stderr(`invoke: ${line}\n`);
    return ExitCode.BadInput;
  } finally {
    await target?.close();
  }
};

export type { InvokeExtras, Io };
export { invoke, processIo };
