/**
 * `port-kafka-lambda port sync|pull`: actions as code (docs/actions-as-code.md).
 * sync writes the app's actions and automations to Port; pull writes the zod
 * inputs schema of an action Port already has.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PortKafkaApp } from '../app.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../emulator/index.js';
import { PortUserInputsSchema } from '../port/actions.js';
import { createPortClient, type PortClient } from '../port/client.js';
import { CredentialsEnv } from '../port/credentials.js';
import { PortError } from '../port/errors.js';
import { PORT_REGION_NAMES, resolvePortBaseUrl } from '../port/regions.js';
import { buildDefinitions, SyncDefinitionError } from '../port-sync/definitions.js';
import { renderChanges } from '../port-sync/diff.js';
import { toZodSource } from '../port-sync/source.js';
import { applySync, planSync, type SyncPlanItem } from '../port-sync/sync.js';
import { describeIssues } from '../validation.js';
import { loadApp } from './app.js';
import { parseCommandLine } from './invoke/args.js';
import { ExitCode, InputError, problemLines } from './invoke/errors.js';
import { actionNames } from './new-action/names.js';

const USAGE = `Usage: port-kafka-lambda port <command> [options]   (npm run port -- <command>)

Commands:
  sync [--dry-run | --check] [--environment <name>] [--only <id,...>] [--emulator]
      Writes every action and automation of lambda/app.ts to Port: the form from
      its zod inputs, the Kafka backend with the recommended payload. Creates what
      Port lacks, replaces what differs, leaves the rest.
      --dry-run      print the differences from what Port has; change nothing
      --check        like --dry-run, and exit 1 when anything differs (CI)
      --environment  write "environment": <name> in each payload (default BACKEND_ENVIRONMENT)
      --only         only these identifiers
  pull <identifier> [--out <file> | --out -] [--force] [--emulator]
      Reads an action from Port and writes its inputs as a zod schema, by default
      to lambda/actions/<name>.inputs.ts (--out - prints it).

Port: PORT_CLIENT_ID and PORT_CLIENT_SECRET, and PORT_REGION (eu, us) or PORT_API_URL.
--emulator uses an embedded, empty Port API emulator instead (to see what sync would write).
Exit code: 0 done (or no difference with --check), 1 Port refused something (or --check found
differences), 2 bad input (nothing was sent).`;

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const processIo = (): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
});

const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v : undefined);

interface Connection {
  port: PortClient;
  /** Printed first, on stderr: which Port this is. */
  announcement: string;
  close(): Promise<void>;
}

/** The real Port API from the environment, as `npm run invoke` reads it, or an embedded emulator. */
const connect = async (env: NodeJS.ProcessEnv, emulator: boolean): Promise<Connection> => {
  if (emulator) {
    const emu: PortEmulator = await startPortEmulator();
    const port = createPortClient({ baseUrl: emu.url, credentials: async () => ({ ...DEFAULT_EMULATOR_CLIENT }) });
    return {
      port,
      announcement: `Using an embedded Port API emulator at ${emu.url} (--emulator): it starts empty, so everything shows as new.`,
      close: async () => {
        port.close();
        await emu.close();
      },
    };
  }
  const clientId = nonEmpty(env[CredentialsEnv.CLIENT_ID]);
  const clientSecret = nonEmpty(env[CredentialsEnv.CLIENT_SECRET]);
  if (clientId === undefined || clientSecret === undefined) {
    throw new InputError(
      `set ${CredentialsEnv.CLIENT_ID} and ${CredentialsEnv.CLIENT_SECRET} (Port app → Credentials), or add --emulator to try it on an embedded emulator`
    );
  }
  const region = nonEmpty(env.PORT_REGION) ?? 'eu';
  if (!(PORT_REGION_NAMES as readonly string[]).includes(region)) {
    throw new InputError(`PORT_REGION: expected ${PORT_REGION_NAMES.join(' or ')}`);
  }
  const apiUrl = nonEmpty(env.PORT_API_URL);
  let url: string;
  try {
    url = resolvePortBaseUrl({ region: region as (typeof PORT_REGION_NAMES)[number], ...(apiUrl ? { baseUrl: apiUrl } : {}) });
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error));
  }
  const port = createPortClient({ baseUrl: url, credentials: async () => ({ clientId, clientSecret }) });
  return {
    port,
    announcement: `Using the Port API at ${url} (${CredentialsEnv.CLIENT_ID} ${clientId}, ${apiUrl ? 'PORT_API_URL' : `PORT_REGION=${region}`}).`,
    close: async () => port.close(),
  };
};

const STATUS_WORD: Record<SyncPlanItem['status'], string> = {
  create: 'to create (not in Port)',
  update: 'to update',
  unchanged: 'unchanged',
};

const planLines = (plan: readonly SyncPlanItem[]): string[] => {
  const lines: string[] = [];
  for (const item of plan) {
    const kind = item.kind === 'automation' ? ' (automation)' : '';
    const count = item.status === 'update' ? `, ${item.changes.length} field${item.changes.length === 1 ? '' : 's'}` : '';
    lines.push(`${item.identifier}${kind}: ${STATUS_WORD[item.status]}${count}`);
    if (item.status !== 'unchanged') lines.push(...renderChanges(item.changes));
  }
  return lines;
};

const countOf = (plan: readonly SyncPlanItem[], status: SyncPlanItem['status']) => plan.filter((p) => p.status === status).length;

const runSync = async (app: PortKafkaApp, argv: readonly string[], io: Io): Promise<ExitCode> => {
  const { values, positionals } = parseCommandLine(argv, {
    'dry-run': { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    environment: { type: 'string' },
    only: { type: 'string' },
    emulator: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new InputError(`sync takes no arguments, got "${positionals.join(' ')}" (see --help)`);
  const environment = nonEmpty(values.environment) ?? nonEmpty(io.env.BACKEND_ENVIRONMENT);
  let desired = buildDefinitions(app, environment === undefined ? {} : { environment });
  if (values.only !== undefined) {
    const only = new Set(
      values.only
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    );
    const unknown = [...only].filter((id) => !desired.some((d) => d.identifier === id));
    if (unknown.length > 0) throw new InputError(`--only: ${unknown.join(', ')} not defined in the app (or marked sync: false)`);
    desired = desired.filter((d) => only.has(d.identifier));
  }
  const dry = values['dry-run'] || values.check;
  const connection = await connect(io.env, values.emulator);
  try {
    io.stderr(`${connection.announcement}\n`);
    const plan = await planSync(connection.port, desired);
    const summary = `${countOf(plan, 'create')} to create, ${countOf(plan, 'update')} to update, ${countOf(plan, 'unchanged')} unchanged`;
    if (dry) {
      io.stdout(
        `${[...planLines(plan), '', `${values.check ? 'Check' : 'Dry run'}: ${summary}. Nothing was changed in Port.`].join('\n')}\n`
      );
      return values.check && plan.some((p) => p.status !== 'unchanged') ? ExitCode.NotAsExpected : ExitCode.Ok;
    }
    const outcomes = await applySync(connection.port, plan);
    const lines: string[] = [];
    for (const o of outcomes) {
      const kind = o.kind === 'automation' ? ' (automation)' : '';
      if (o.result === 'failed') lines.push(`${o.identifier}${kind}: FAILED, Port refused it: ${o.error ?? ''}`);
      else lines.push(`${o.identifier}${kind}: ${o.result}`);
      if (o.result !== 'unchanged') lines.push(...renderChanges(o.changes));
    }
    const failed = outcomes.filter((o) => o.result === 'failed').length;
    const done = (r: string) => outcomes.filter((o) => o.result === r).length;
    lines.push(
      '',
      `Synced: ${done('created')} created, ${done('updated')} updated, ${done('unchanged')} unchanged${failed > 0 ? `, ${failed} failed` : ''}.`
    );
    io.stdout(`${lines.join('\n')}\n`);
    return failed > 0 ? ExitCode.NotAsExpected : ExitCode.Ok;
  } finally {
    await connection.close();
  }
};

const runPull = async (argv: readonly string[], io: Io): Promise<ExitCode> => {
  const { values, positionals } = parseCommandLine(argv, {
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    emulator: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new InputError('give exactly one action identifier, e.g. npm run port -- pull deploy_service');
  const identifier = positionals[0] ?? '';
  const names = actionNames(identifier);
  const out = values.out ?? path.join('lambda', 'actions', `${names.kebab}.inputs.ts`);
  const file = out === '-' ? undefined : path.resolve(io.cwd, out);
  if (file !== undefined && existsSync(file) && !values.force)
    throw new InputError(`${out} exists; add --force to replace it, or --out another file`);

  const connection = await connect(io.env, values.emulator);
  try {
    io.stderr(`${connection.announcement}\n`);
    const action = await connection.port.findAction(identifier);
    if (action === undefined) throw new InputError(`Port has no action "${identifier}"`);
    if (action.trigger.type !== 'self-service') {
      throw new InputError(
        `"${identifier}" is ${action.trigger.type === 'automation' ? 'an automation' : `a ${action.trigger.type} trigger`}: it has no user inputs to pull`
      );
    }
    const userInputs = PortUserInputsSchema.safeParse(action.trigger.userInputs ?? { properties: {} });
    if (!userInputs.success) {
      io.stderr(`pull: Port's userInputs of "${identifier}" have a shape this tool does not read: ${describeIssues(userInputs.error)}\n`);
      return ExitCode.NotAsExpected;
    }
    const trigger = action.trigger as { operation?: unknown; blueprintIdentifier?: unknown };
    const hint = [
      'In the action file:',
      `defineAction({`,
      `  identifier: ${JSON.stringify(identifier)},`,
      ...(action.title ? [`  title: ${JSON.stringify(action.title)},`] : []),
      ...(action.icon ? [`  icon: ${JSON.stringify(action.icon)},`] : []),
      ...(action.description ? [`  description: ${JSON.stringify(action.description)},`] : []),
      ...(typeof trigger.blueprintIdentifier === 'string' ? [`  blueprint: ${JSON.stringify(trigger.blueprintIdentifier)},`] : []),
      ...(typeof trigger.operation === 'string' ? [`  operation: ${JSON.stringify(trigger.operation)},`] : []),
      `  inputs: ${names.camel}Inputs,`,
      '  async handler({ inputs }, ctx) { ... },',
      '});',
    ];
    const pulled = toZodSource(userInputs.data, {
      identifier,
      constName: `${names.camel}Inputs`,
      title: action.title,
      defineActionHint: hint,
    });
    for (const warning of pulled.warnings) io.stderr(`pull: warning: ${warning}\n`);
    if (action.invocationMethod.type !== 'KAFKA') {
      io.stderr(
        `pull: warning: "${identifier}" runs on ${action.invocationMethod.type} in Port; a sync makes it a Kafka action run by this backend\n`
      );
    }
    if (file === undefined) {
      io.stdout(pulled.source);
      return ExitCode.Ok;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, pulled.source);
    const count = Object.keys(userInputs.data.properties).length;
    io.stdout(
      `${[
        `Wrote ${out} (${count} input${count === 1 ? '' : 's'} of "${identifier}").`,
        `Use it as the action's inputs: import { ${names.camel}Inputs } from './${names.kebab}.inputs.js';`,
        'Then npm run port -- sync --dry-run shows no difference for its form.',
      ].join('\n')}\n`
    );
    return ExitCode.Ok;
  } finally {
    await connection.close();
  }
};

/** Entry of `port-kafka-lambda port ...`. */
const runPort = async (argv: readonly string[], io: Io = processIo()): Promise<ExitCode> => {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
    (command === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
    return command === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  try {
    if (command === 'sync') return await runSync(await loadApp(io.cwd, io.env), rest, io);
    if (command === 'pull') return await runPull(rest, io);
    throw new InputError(`unknown command "${command}": sync or pull (see --help)`);
  } catch (error) {
    if (error instanceof PortError) {
      // Reached Port but it refused or failed (credentials, outage): nothing more was sent.
      io.stderr(`port: ${error.message}\n`);
      return ExitCode.NotAsExpected;
    }
    const lines = error instanceof SyncDefinitionError ? [...error.problems] : problemLines(error);
    if (!lines) throw error;
    for (const line of lines) io.stderr(`port: ${line}\n`);
    return ExitCode.BadInput;
  }
};

export { runPort };
