import type { HandlerConfig } from '../../config.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../emulator/index.js';
import { createPortClient, type PortClient } from '../../port/client.js';
import { CredentialsEnv, type PortCredentials } from '../../port/credentials.js';
import { resolvePortBaseUrl } from '../../port/regions.js';
import { InputError } from './errors.js';
import type { BatchPlan } from './preflight.js';
import { type EntityWrite, recordingClient } from './recorder.js';

/** What Port shows on a run's page, as far as the invoke output needs it. */
interface RunView {
  id: string;
  status: string;
  statusLabel: string | null;
  summary: string | null;
  links: string[];
  logs: string[];
  /** `blueprint/identifier` of entities written by the run. */
  entities: string[];
}

/** Where the handler's Port calls go: the embedded emulator or the real Port API. */
interface Target {
  kind: 'emulator' | 'port';
  url: string;
  /** The first line the user sees: which Port this is and why. */
  announcement: string;
  /** The client handed to the handler (recording what it sends). */
  port: PortClient;
  credentials: () => Promise<PortCredentials>;
  /** Makes the emulator know the batch's runs and entities; nothing on real Port. */
  prepare(plan: BatchPlan): Promise<void>;
  viewRun(runId: string): Promise<RunView>;
  /** Entity writes since the previous call (change handlers' work shows here). */
  takeEntityWrites(): EntityWrite[];
  close(): Promise<void>;
}

const asLinks = (link: string | readonly string[] | null | undefined): string[] =>
  link === null || link === undefined ? [] : typeof link === 'string' ? [link] : [...link];

const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v : undefined);

const emulatorTarget = async (why: string): Promise<Target> => {
  // autoCreateRuns covers runs the preflight cannot see (custom payload parsers).
  const emu: PortEmulator = await startPortEmulator({ autoCreateRuns: true });
  const credentials = async (): Promise<PortCredentials> => ({ ...DEFAULT_EMULATOR_CLIENT });
  const inner = createPortClient({ baseUrl: emu.url, credentials });
  const recorder = recordingClient(inner);
  return {
    kind: 'emulator',
    url: emu.url,
    announcement: `Using the embedded Port API emulator at ${emu.url} (${why}); the runs in your files are created in it first.`,
    port: recorder.client,
    credentials,
    async prepare(plan) {
      for (const run of plan.runs) {
        if (emu.getRun(run.runId)) continue;
        emu.createRun({
          id: run.runId,
          action: run.action,
          ...(run.blueprint ? { blueprint: run.blueprint } : {}),
          ...(run.entity ? { entity: run.entity } : {}),
          properties: run.inputs,
        });
      }
      // A change-log event arrives after the change: Port holds the `after` state.
      for (const e of plan.entities) {
        await inner.upsertEntity(
          e.blueprint,
          { identifier: e.identifier, ...(e.title ? { title: e.title } : {}), properties: e.properties, relations: e.relations },
          { merge: false }
        );
      }
    },
    async viewRun(runId) {
      const run = emu.getRun(runId);
      return {
        id: runId,
        status: run?.status ?? 'NOT_FOUND',
        statusLabel: run?.statusLabel ?? null,
        summary: run?.summary ?? null,
        links: asLinks(run?.link),
        logs: emu.logs(runId).map((l) => l.message),
        entities: emu.entitiesOfRun(runId),
      };
    },
    takeEntityWrites: () => recorder.takeEntityWrites(),
    async close() {
      inner.close();
      await emu.close();
    },
  };
};

const portTarget = (config: HandlerConfig, credentials: PortCredentials, env: NodeJS.ProcessEnv): Target => {
  let url: string;
  try {
    url = resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) });
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const load = async () => credentials;
  const inner = createPortClient({ baseUrl: url, credentials: load });
  const recorder = recordingClient(inner);
  const how = config.apiUrl ? 'PORT_API_URL' : `PORT_REGION=${nonEmpty(env.PORT_REGION) ?? 'eu (default)'}`;
  return {
    kind: 'port',
    url,
    announcement: `Using the Port API at ${url} (${CredentialsEnv.CLIENT_ID}/${CredentialsEnv.CLIENT_SECRET} from the environment, ${how}), not the embedded emulator; runs must exist in Port.`,
    port: recorder.client,
    credentials: load,
    // Real Port already knows its runs and entities; nothing is created on the user's behalf.
    prepare: async () => undefined,
    async viewRun(runId) {
      const logs = recorder.logsOf(runId);
      const entities = recorder.entitiesOfRun(runId);
      try {
        const run = await recorder.client.getRun(runId);
        return {
          id: runId,
          status: run.status,
          statusLabel: run.statusLabel ?? null,
          summary: run.summary ?? null,
          links: asLinks(run.link),
          logs,
          entities,
        };
      } catch (error) {
        return {
          id: runId,
          status: 'UNKNOWN',
          statusLabel: null,
          summary: `could not read the run back: ${error instanceof Error ? error.message : String(error)}`,
          links: [],
          logs,
          entities,
        };
      }
    },
    takeEntityWrites: () => recorder.takeEntityWrites(),
    close: async () => inner.close(),
  };
};

/**
 * The real Port API when both client id and secret are in the environment
 * (region from PORT_REGION, or PORT_API_URL), else the embedded emulator.
 * `forcedBy` names what chose the emulator regardless (the demo, `--emulator`).
 */
const chooseTarget = async (config: HandlerConfig, env: NodeJS.ProcessEnv, forcedBy?: string): Promise<Target> => {
  const clientId = nonEmpty(env[CredentialsEnv.CLIENT_ID]);
  const clientSecret = nonEmpty(env[CredentialsEnv.CLIENT_SECRET]);
  if (forcedBy !== undefined) return emulatorTarget(forcedBy);
  if (clientId !== undefined && clientSecret !== undefined) return portTarget(config, { clientId, clientSecret }, env);
  if (clientId !== undefined || clientSecret !== undefined) {
    const missing = clientId === undefined ? CredentialsEnv.CLIENT_ID : CredentialsEnv.CLIENT_SECRET;
    throw new InputError(
      `${missing} is not set: set both ${CredentialsEnv.CLIENT_ID} and ${CredentialsEnv.CLIENT_SECRET} to use the Port API, or neither for the embedded emulator`
    );
  }
  return emulatorTarget(`no ${CredentialsEnv.CLIENT_ID}/${CredentialsEnv.CLIENT_SECRET} in the environment`);
};

export type { RunView, Target };
export { chooseTarget };
