import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PortCatalog } from './catalog.js';
import { ErrorCode, fail, PortEmulatorStore, type Reply } from './store.js';
import type {
  CreateRunInput,
  EmulatorAction,
  EmulatorBlueprint,
  EmulatorClient,
  EmulatorEntity,
  EmulatorRun,
  EmulatorRunLog,
  Fault,
  FaultPolicy,
  PortEmulatorOptions,
  RecordedRequest,
  RunEnding,
} from './types.js';

/**
 * A small real HTTP server that answers like Port's REST API for the paths this
 * project uses (auth, action runs, run logs, entities), with scriptable faults and a
 * request log. Not bundled into the Lambda: used by tests and local invocations.
 */

/** Credentials accepted when no `clients` option is given. */
const DEFAULT_EMULATOR_CLIENT = {
  clientId: 'emulator-client-id',
  clientSecret: 'emulator-client-secret-0123456789abcdef',
} as const satisfies EmulatorClient;

/** Port's documented body limit (1 MiB, 413 on every route). */
const MAX_BODY_BYTES = 1024 * 1024;
/** Port tokens live 3 hours. */
const DEFAULT_TOKEN_TTL_SECONDS = 3 * 60 * 60;

interface PortEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Scripted faults, consumed in order of match; push to add. */
  readonly faults: Fault[];
  /** Delay added to every request; mutable. */
  latencyMs: number;
  /** Consulted for requests no scripted fault matched; mutable (undefined: none). */
  faultPolicy: FaultPolicy | undefined;
  /** Every accepted change that ended a run (PATCH status or termination log), in order. */
  readonly endings: RunEnding[];
  /** Entities keyed by `${blueprint}/${identifier}` (live state). */
  readonly entities: Map<string, EmulatorEntity>;
  /** Runs keyed by id (live state). */
  readonly runs: Map<string, EmulatorRun>;
  /** Actions and automations keyed by identifier (live state). */
  readonly actions: Map<string, EmulatorAction>;
  /** Blueprints keyed by identifier; entity writes to a registered one are checked against its schema. */
  readonly blueprints: Map<string, EmulatorBlueprint>;
  /** Registers a blueprint (GET /v1/blueprints/{id} serves it; its entities are checked). */
  addBlueprint(input: Pick<EmulatorBlueprint, 'identifier'> & Partial<EmulatorBlueprint>): EmulatorBlueprint;
  createRun(input: CreateRunInput): EmulatorRun;
  /** The run (live object), or undefined. */
  getRun(runId: string): EmulatorRun | undefined;
  /** Logs of a run, oldest first (with `terminationStatus`/`statusLabel` as sent). */
  logs(runId: string): EmulatorRunLog[];
  /** Entity keys (`bp/id`) written with `?run_id=runId`. */
  entitiesOfRun(runId: string): string[];
  /** Invalidates every issued token (next API call gets 401). */
  revokeTokens(): void;
  close(): Promise<void>;
}

const firstHeader = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const maskHeaders = (headers: http.IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = name === 'authorization' ? text.replace(/^(\S+\s+).*$/, '$1***') : text;
  }
  return out;
};

const maskBody = (body: unknown): unknown => {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'clientSecret' in body) {
    return { ...body, clientSecret: '***' };
  }
  return body;
};

const matches = (fault: Fault, method: string, path: string): boolean => {
  const m = fault.match;
  if (m?.method !== undefined && m.method !== method) return false;
  if (m?.path === undefined) return true;
  return typeof m.path === 'string' ? m.path === path : m.path.test(path);
};

/** Reads the body; undefined when larger than Port's limit. */
const readBody = async (req: http.IncomingMessage): Promise<Buffer | undefined> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
};

/** Error identifier used in the default body of a scripted status fault. */
const faultErrorCode = (status: number): string => {
  if (status === 401) return ErrorCode.UNAUTHORIZED;
  if (status === 404) return ErrorCode.NOT_FOUND;
  if (status === 429) return 'too_many_requests';
  if (status >= 500) return 'internal_error';
  return 'emulated_fault';
};

const seg = '([^/]+)';
const Routes = {
  token: /^\/v1\/auth\/access_token$/,
  runs: /^\/v1\/actions\/runs$/,
  run: new RegExp(`^/v1/actions/runs/${seg}$`),
  runLogs: new RegExp(`^/v1/actions/runs/${seg}/logs$`),
  entities: new RegExp(`^/v1/blueprints/${seg}/entities$`),
  entity: new RegExp(`^/v1/blueprints/${seg}/entities/${seg}$`),
  bulk: new RegExp(`^/v1/blueprints/${seg}/entities/bulk$`),
  blueprintSearch: new RegExp(`^/v1/blueprints/${seg}/entities/search$`),
  search: /^\/v1\/entities\/search$/,
  blueprint: new RegExp(`^/v1/blueprints/${seg}$`),
  actions: /^\/v1\/actions$/,
  action: new RegExp(`^/v1/actions/${seg}$`),
} as const;

/** Starts the emulator on 127.0.0.1 and a free port. */
const startPortEmulator = async (options: PortEmulatorOptions = {}): Promise<PortEmulator> => {
  const now = options.now ?? Date.now;
  const store = new PortEmulatorStore(
    options.clients ?? [DEFAULT_EMULATOR_CLIENT],
    options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
    now,
    options.autoCreateRuns ?? false
  );
  const catalog = new PortCatalog(store, now);
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();

  const takeFault = (method: string, path: string): Fault | undefined => {
    const index = faults.findIndex((fault) => matches(fault, method, path));
    if (index < 0) return undefined;
    const fault = faults[index];
    if (fault === undefined) return undefined;
    const remaining = (fault.times ?? 1) - 1;
    if (remaining <= 0) faults.splice(index, 1);
    else fault.times = remaining;
    return fault;
  };

  const route = (method: string, path: string, query: Record<string, string>, body: unknown, auth: string | undefined): Reply => {
    if (Routes.token.test(path)) {
      return method === 'POST' ? store.issueToken(body) : fail(404, ErrorCode.NOT_FOUND, `Route ${method} ${path} not found`);
    }
    const who = store.authenticate(auth);
    if ('status' in who) return who;
    const { clientId } = who;
    const d = (s: string | undefined): string => decodeURIComponent(s ?? '');
    // Before the action routes: `/v1/actions/runs` would read as an action named "runs".
    if (Routes.runs.test(path) && method === 'GET') return store.listRuns(query);
    let m = Routes.run.exec(path);
    if (m) {
      if (method === 'GET') return store.getRun(d(m[1]));
      if (method === 'PATCH') return store.patchRun(d(m[1]), body, clientId);
    }
    m = Routes.runLogs.exec(path);
    if (m) {
      if (method === 'POST') return store.addLog(d(m[1]), body, clientId);
      if (method === 'GET') return store.listLogs(d(m[1]), query);
    }
    m = Routes.entities.exec(path);
    if (m && method === 'POST') {
      const bp = d(m[1]);
      const exists =
        typeof body === 'object' && body !== null && store.entities.has(`${bp}/${String((body as { identifier?: unknown }).identifier)}`);
      return catalog.checkEntity(bp, body, !exists || query.merge !== 'true') ?? store.createEntity(bp, body, query, clientId);
    }
    m = Routes.bulk.exec(path);
    if (m && method === 'POST') return catalog.bulkUpsert(d(m[1]), body, query, clientId);
    m = Routes.blueprintSearch.exec(path);
    if (m && method === 'POST') return catalog.searchBlueprint(d(m[1]), body);
    m = Routes.entity.exec(path);
    if (m) {
      if (method === 'GET') return store.getEntity(d(m[1]), d(m[2]));
      if (method === 'PATCH')
        return catalog.checkEntity(d(m[1]), body, false) ?? store.patchEntity(d(m[1]), d(m[2]), body, query, clientId);
      if (method === 'DELETE') return catalog.deleteEntity(d(m[1]), d(m[2]), query);
    }
    if (Routes.search.test(path) && method === 'POST') return catalog.search(body);
    m = Routes.blueprint.exec(path);
    if (m && method === 'GET') return catalog.getBlueprint(d(m[1]));
    if (Routes.actions.test(path)) {
      if (method === 'POST') return catalog.createAction(body, clientId);
      if (method === 'GET') return catalog.listActions(query);
    }
    m = Routes.action.exec(path);
    if (m) {
      if (method === 'GET') return catalog.getAction(d(m[1]));
      if (method === 'PUT') return catalog.updateAction(d(m[1]), body, clientId);
      if (method === 'DELETE') return catalog.deleteAction(d(m[1]));
    }
    return fail(404, ErrorCode.NOT_FOUND, `Route ${method} ${path} not found`);
  };

  const send = (res: http.ServerResponse, record: RecordedRequest, reply: Reply, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(reply.body);
    record.status = reply.status;
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-trace-id': randomBytes(8).toString('hex'),
      ...headers,
    });
    res.end(text);
    record.answeredAt = now();
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams.entries());
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      body: undefined,
      headers: maskHeaders(req.headers),
      status: undefined,
      fault: undefined,
      at: now(),
    };
    requests.push(record);

    const raw = await readBody(req);
    if (raw === undefined) {
      send(res, record, fail(413, ErrorCode.PAYLOAD_TOO_LARGE, 'Request body is too large (limit is 1MiB)'));
      return;
    }
    let body: unknown;
    let badJson = false;
    if (raw.length > 0) {
      const text = raw.toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        badJson = true;
      }
    }
    record.body = maskBody(body);

    const latency = emulator.latencyMs;
    if (latency > 0) await sleep(latency);

    const r = takeFault(method, url.pathname)?.respond ?? emulator.faultPolicy?.({ method, path: url.pathname, body });
    if (r) {
      if ('drop' in r) {
        record.fault = 'drop';
        if (r.afterHandling && !badJson) route(method, url.pathname, query, body, firstHeader(req.headers.authorization));
        req.socket.destroy();
        return;
      }
      if ('delayMs' in r) {
        record.fault = 'delay';
        await sleep(r.delayMs);
        if (req.socket.destroyed) return; // the client gave up (timeout)
      } else {
        record.fault = 'status';
        const reply: Reply =
          r.body !== undefined
            ? { status: r.status, body: r.body }
            : { status: r.status, body: { ok: false, error: faultErrorCode(r.status), message: `Emulated fault: status ${r.status}` } };
        send(res, record, reply, r.headers);
        return;
      }
    }
    if (badJson) {
      send(res, record, fail(400, ErrorCode.INVALID_JSON, 'Request body is not valid JSON'));
      return;
    }
    send(res, record, route(method, url.pathname, query, body, firstHeader(req.headers.authorization)));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'internal_error', message: String(error) }));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const emulator: PortEmulator = {
    url: `http://${host}:${address.port}`,
    requests,
    faults,
    latencyMs: options.latencyMs ?? 0,
    faultPolicy: undefined,
    endings: store.endings,
    entities: store.entities,
    runs: store.runs,
    actions: catalog.actions,
    blueprints: catalog.blueprints,
    addBlueprint: (input) => catalog.addBlueprint(input),
    createRun: (input) => store.createRun(input),
    getRun: (runId) => store.runs.get(runId),
    logs: (runId) => store.runLogs.get(runId) ?? [],
    entitiesOfRun: (runId) => store.runEntities.get(runId) ?? [],
    revokeTokens: () => store.revokeTokens(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return emulator;
};

export type {
  CreateRunInput,
  EmulatorAction,
  EmulatorBlueprint,
  EmulatorClient,
  EmulatorEntity,
  EmulatorRun,
  EmulatorRunLog,
  Fault,
  FaultPolicy,
  PortEmulator,
  PortEmulatorOptions,
  RecordedRequest,
  RunEnding,
};
export { DEFAULT_EMULATOR_CLIENT, startPortEmulator };
