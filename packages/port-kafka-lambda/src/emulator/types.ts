import type { RunTerminalStatus } from '../port/types.js';
import type { EmulatorActionBody } from './catalog.js';

/** Public types of the Port API emulator. */

type EmulatorMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** What a scripted fault does to a matching request. */
type FaultResponse =
  /** Answer with this status (and Port-style error body unless `body` is given). */
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** Wait, then handle the request normally. */
  | { delayMs: number }
  /**
   * Destroy the socket without answering. With `afterHandling` the request is applied
   * first (state changes) and only the answer is lost — the case that makes retried
   * POSTs land twice.
   */
  | { drop: true; afterHandling?: boolean };

/**
 * Decides a fault for each request no scripted fault matched (chaos tests: a
 * seeded share of all calls fails). Undefined lets the request through.
 */
type FaultPolicy = (request: { method: string; path: string; body: unknown }) => FaultResponse | undefined;

/** A change that ended a run, as the emulator accepted it (at most one per run: Port refuses the rest). */
interface RunEnding {
  runId: string;
  status: RunTerminalStatus;
  /** A PATCH with `status`, or a log with `terminationStatus`. */
  via: 'patch' | 'log';
  /** Emulator clock (ms). */
  at: number;
}

interface Fault {
  match?: { method?: EmulatorMethod; path?: string | RegExp };
  /** How many matching requests this fault applies to (default 1). */
  times?: number;
  respond: FaultResponse;
}

interface RecordedRequest {
  method: string;
  /** Path without query. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (clientSecret masked), raw text if not JSON, undefined if empty. */
  body: unknown;
  /** Lower-case header names; `authorization` masked as `Bearer ***`. */
  headers: Record<string, string>;
  /** Status answered; undefined when the connection was dropped or is still open. */
  status: number | undefined;
  /** Which fault, if any, shaped this request. */
  fault: 'status' | 'delay' | 'drop' | undefined;
  /** Emulator clock (ms) when the request arrived. */
  at: number;
  /**
   * Emulator clock (ms) when the answer was written; undefined while none was
   * (dropped, or still open). With `at` it gives the request's interval on the
   * server, which the first-run benchmark uses to tell sequential calls from overlapping ones.
   */
  answeredAt?: number;
}

interface EmulatorClient {
  clientId: string;
  clientSecret: string;
}

interface EmulatorRun {
  id: string;
  status: string;
  statusLabel: string | null;
  link: string | string[] | null;
  summary: string | null;
  externalRunId: string | null;
  endedAt: string | null;
  action: { identifier: string; title: string | null; icon: string | null; deleted: boolean };
  blueprint: { identifier: string; title: string | null; icon: string | null; deleted: boolean } | null;
  entity: { identifier: string } | null;
  properties: Record<string, unknown>;
  source: string;
  requiredApproval: boolean;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

interface EmulatorRunLog {
  id: string;
  runId: string;
  message: string;
  terminationStatus: RunTerminalStatus | null;
  statusLabel: string | null;
  createdBy: string;
  createdAt: string;
}

interface EmulatorEntity {
  identifier: string;
  blueprint: string;
  title: string | null;
  icon: string | null;
  team: unknown;
  properties: Record<string, unknown>;
  relations: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

/** An action or automation as the emulator keeps it: the body as sent, plus Port's audit fields. */
interface EmulatorAction extends EmulatorActionBody {
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

/** A blueprint, as far as the emulator checks entities against it (`addBlueprint`). */
interface EmulatorBlueprint {
  identifier: string;
  title: string;
  icon: string | null;
  /** `properties.<name>.type` is checked on entity writes; `required` on creation. */
  schema: { properties: Record<string, Record<string, unknown>>; required: string[] };
  relations: Record<string, Record<string, unknown>>;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

interface CreateRunInput {
  id?: string;
  /** Action identifier, or a partial action object. */
  action: string | { identifier: string; title?: string };
  status?: string;
  blueprint?: string;
  entity?: string;
  properties?: Record<string, unknown>;
  /** ISO time the run was created (default now): the sweeper's tests need old runs. */
  createdAt?: string;
}

interface PortEmulatorOptions {
  /** Accepted client credentials. Default: one pair, see DEFAULT_EMULATOR_CLIENT. */
  clients?: EmulatorClient[];
  /** Access-token lifetime in seconds (Port: 3 hours). */
  tokenTtlSeconds?: number;
  /** Delay added to every request. */
  latencyMs?: number;
  /** Create unknown runs on first use (any run route) instead of answering 404. Default false. */
  autoCreateRuns?: boolean;
  /** Clock in ms since epoch (token expiry, timestamps). Default Date.now. */
  now?: () => number;
  /** Host to bind (default 127.0.0.1) and port (default 0 = any free). */
  host?: string;
  port?: number;
}

export type {
  CreateRunInput,
  EmulatorAction,
  EmulatorBlueprint,
  EmulatorClient,
  EmulatorEntity,
  EmulatorMethod,
  EmulatorRun,
  EmulatorRunLog,
  Fault,
  FaultPolicy,
  FaultResponse,
  PortEmulatorOptions,
  RecordedRequest,
  RunEnding,
};
