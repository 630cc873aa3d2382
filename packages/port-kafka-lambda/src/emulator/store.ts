import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { isEndedStatus, RunStatus, RunTerminalStatusSchema as Terminal } from '../port/types.js';
import { issueLines } from '../validation.js';
import type { CreateRunInput, EmulatorClient, EmulatorEntity, EmulatorRun, EmulatorRunLog, RunEnding } from './types.js';

/**
 * In-memory Port state and its rules, independent of HTTP. Handlers return
 * `{ status, body }` with Port's success and error envelopes.
 *
 * Emulator choices where Port's docs are silent (documented in README.md):
 * - error identifiers: `unauthorized` (401), `not_found` (404), `invalid_request` (422),
 *   `invalid_json` (400), `run_already_ended` (422), `identifier_taken` (409),
 *   `payload_too_large` (413);
 * - an ended run (isEndedStatus: SUCCESS, FAILURE, DECLINED and the cancel spellings, as
 *   the executor sees them) rejects every PATCH and every termination log; plain logs are
 *   still accepted.
 */

interface Reply {
  status: number;
  body: unknown;
}

const ErrorCode = {
  UNAUTHORIZED: 'unauthorized',
  NOT_FOUND: 'not_found',
  INVALID_REQUEST: 'invalid_request',
  INVALID_JSON: 'invalid_json',
  RUN_ALREADY_ENDED: 'run_already_ended',
  IDENTIFIER_TAKEN: 'identifier_taken',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
} as const;
type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const fail = (status: number, error: ErrorCode, message: string): Reply => ({
  status,
  body: { ok: false, error, message },
});

const TokenBody = z.strictObject({ clientId: z.string(), clientSecret: z.string() });
const RunPatchBody = z.strictObject({
  status: Terminal.optional(),
  statusLabel: z.string().optional(),
  link: z.union([z.string(), z.array(z.string())]).optional(),
  summary: z.string().optional(),
  externalRunId: z.string().optional(),
  message: z.record(z.string(), z.unknown()).optional(),
});
const RunLogBody = z.strictObject({
  message: z.string(),
  terminationStatus: Terminal.optional(),
  statusLabel: z.string().optional(),
});
const EntityBody = z.strictObject({
  identifier: z.string().min(1).optional(),
  title: z.string().nullish(),
  icon: z.string().nullish(),
  team: z.unknown().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  relations: z.record(z.string(), z.unknown()).optional(),
});

const ListRunsQuery = z.looseObject({
  action: z.string().min(1).optional(),
  active: z.enum(['true', 'false']).optional(),
  entity: z.string().optional(),
  blueprint: z.string().optional(),
  external_run_id: z.string().optional(),
  version: z.enum(['v1', 'v2']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  next: z.string().min(1).optional(),
});

const invalid = (error: z.ZodError): Reply => fail(422, ErrorCode.INVALID_REQUEST, issueLines(error, { root: 'body' }).join('; '));

const randomId = (prefix: string): string => `${prefix}${randomBytes(8).toString('hex')}`;

interface TokenInfo {
  clientId: string;
  expiresAt: number;
}

class PortEmulatorStore {
  readonly runs = new Map<string, EmulatorRun>();
  readonly runLogs = new Map<string, EmulatorRunLog[]>();
  /** Keyed by `${blueprint}/${identifier}`. */
  readonly entities = new Map<string, EmulatorEntity>();
  /** Entity keys written with `?run_id=`, per run. */
  readonly runEntities = new Map<string, string[]>();
  readonly tokens = new Map<string, TokenInfo>();
  /** Every accepted change that ended a run, in order. */
  readonly endings: RunEnding[] = [];
  private readonly activeToken = new Map<string, string>();

  constructor(
    private readonly clients: EmulatorClient[],
    private readonly tokenTtlSeconds: number,
    private readonly now: () => number,
    private readonly autoCreateRuns: boolean
  ) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  // ---- auth ---------------------------------------------------------------

  issueToken(body: unknown): Reply {
    const parsed = TokenBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const { clientId, clientSecret } = parsed.data;
    const client = this.clients.find((c) => c.clientId === clientId && c.clientSecret === clientSecret);
    if (!client) return fail(401, ErrorCode.UNAUTHORIZED, 'Invalid client credentials');
    // Port: one active token per credential set, returned again until it expires.
    const current = this.activeToken.get(clientId);
    const info = current === undefined ? undefined : this.tokens.get(current);
    let token = current;
    if (token === undefined || info === undefined || info.expiresAt <= this.now()) {
      token = randomId('emu_token_');
      this.tokens.set(token, { clientId, expiresAt: this.now() + this.tokenTtlSeconds * 1000 });
      this.activeToken.set(clientId, token);
    }
    const expiresAt = this.tokens.get(token)?.expiresAt ?? this.now();
    return {
      status: 200,
      body: {
        ok: true,
        accessToken: token,
        expiresIn: Math.max(0, Math.round((expiresAt - this.now()) / 1000)),
        tokenType: 'Bearer',
      },
    };
  }

  /** Returns the 401 reply when the Authorization header is not a live token. */
  authenticate(authorization: string | undefined): Reply | { clientId: string } {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (token === undefined) return fail(401, ErrorCode.UNAUTHORIZED, 'Missing bearer token');
    const info = this.tokens.get(token);
    if (!info) return fail(401, ErrorCode.UNAUTHORIZED, 'Invalid access token');
    if (info.expiresAt <= this.now()) return fail(401, ErrorCode.UNAUTHORIZED, 'Access token expired');
    return { clientId: info.clientId };
  }

  /** Invalidates every issued token (simulates rotation / revocation). */
  revokeTokens(): void {
    this.tokens.clear();
    this.activeToken.clear();
  }

  // ---- runs ---------------------------------------------------------------

  createRun(input: CreateRunInput): EmulatorRun {
    const id = input.id ?? randomId('r_');
    const action = typeof input.action === 'string' ? { identifier: input.action } : input.action;
    const status = input.status ?? RunStatus.IN_PROGRESS;
    const at = input.createdAt ?? this.iso();
    const run: EmulatorRun = {
      id,
      status,
      statusLabel: null,
      link: null,
      summary: null,
      externalRunId: null,
      endedAt: isEndedStatus(status) ? at : null,
      action: { identifier: action.identifier, title: action.title ?? null, icon: null, deleted: false },
      blueprint: input.blueprint === undefined ? null : { identifier: input.blueprint, title: null, icon: null, deleted: false },
      entity: input.entity === undefined ? null : { identifier: input.entity },
      properties: input.properties ?? {},
      source: 'API',
      requiredApproval: false,
      createdAt: at,
      updatedAt: at,
      createdBy: 'emulator',
      updatedBy: 'emulator',
    };
    this.runs.set(id, run);
    this.runLogs.set(id, []);
    return run;
  }

  private findRun(runId: string): EmulatorRun | Reply {
    const run = this.runs.get(runId);
    if (run) return run;
    if (this.autoCreateRuns) return this.createRun({ id: runId, action: 'emulator_auto_created' });
    return fail(404, ErrorCode.NOT_FOUND, `Run with id "${runId}" was not found`);
  }

  private endedReply(run: EmulatorRun): Reply {
    return fail(422, ErrorCode.RUN_ALREADY_ENDED, `Run "${run.id}" already ended with status ${run.status} and can no longer be modified`);
  }

  getRun(runId: string): Reply {
    const run = this.findRun(runId);
    if (!('id' in run)) return run;
    return { status: 200, body: { ok: true, run } };
  }

  patchRun(runId: string, body: unknown, clientId: string): Reply {
    const parsed = RunPatchBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const run = this.findRun(runId);
    if (!('id' in run)) return run;
    if (isEndedStatus(run.status)) return this.endedReply(run);
    const patch = parsed.data;
    // Each PATCH overwrites the keys it carries (Port: "last link wins").
    if (patch.statusLabel !== undefined) run.statusLabel = patch.statusLabel;
    if (patch.link !== undefined) run.link = patch.link;
    if (patch.summary !== undefined) run.summary = patch.summary;
    if (patch.externalRunId !== undefined) run.externalRunId = patch.externalRunId;
    run.updatedAt = this.iso();
    run.updatedBy = clientId;
    if (patch.status !== undefined) {
      run.status = patch.status;
      run.endedAt = run.updatedAt;
      this.endings.push({ runId: run.id, status: patch.status, via: 'patch', at: this.now() });
    }
    return { status: 200, body: { ok: true, run } };
  }

  /**
   * `GET /v1/actions/runs`: Port ANDs the filters it is given (action, active,
   * entity, blueprint, external_run_id) and answers newest first, `limit` (1..1000)
   * at a time, with `next` to pass back for the following page while more remain.
   * `active=true` keeps runs that have not ended. Port documents the `next` answer
   * field; that it comes back as the `next` query parameter is the emulator's choice.
   */
  listRuns(query: Record<string, string>): Reply {
    const parsed = ListRunsQuery.safeParse(query);
    if (!parsed.success) return fail(422, ErrorCode.INVALID_REQUEST, issueLines(parsed.error, { root: 'querystring' }).join('; '));
    const q = parsed.data;
    // The token is the sort key of the last run answered, so a page follows on from it even
    // when runs ended (and left an `active` listing) in between, as a cursor should.
    let after: { createdAt: string; index: number } | undefined;
    if (q.next !== undefined) {
      const [createdAt, index] = Buffer.from(q.next, 'base64url').toString('utf8').split('|');
      if (createdAt === undefined || index === undefined || !/^\d+$/.test(index) || Number.isNaN(Date.parse(createdAt))) {
        return fail(422, ErrorCode.INVALID_REQUEST, 'querystring.next: not a page token');
      }
      after = { createdAt, index: Number(index) };
    }
    const newerFirst = (a: { createdAt: string; index: number }, b: { createdAt: string; index: number }): number =>
      b.createdAt.localeCompare(a.createdAt) || b.index - a.index;
    const matching = [...this.runs.values()]
      .map((run, index) => ({ run, index, createdAt: run.createdAt }))
      .filter(
        ({ run }) =>
          (q.action === undefined || run.action.identifier === q.action) &&
          (q.active === undefined || (q.active === 'true') === !isEndedStatus(run.status)) &&
          (q.entity === undefined || run.entity?.identifier === q.entity) &&
          (q.blueprint === undefined || run.blueprint?.identifier === q.blueprint) &&
          (q.external_run_id === undefined || run.externalRunId === q.external_run_id)
      )
      .filter((key) => after === undefined || newerFirst(after, key) < 0)
      // Newest first; runs created in the same millisecond: the later-created first.
      .sort(newerFirst);
    const limit = q.limit ?? 100;
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    const more = matching.length > limit && last !== undefined;
    return {
      status: 200,
      body: {
        ok: true,
        runs: page.map(({ run }) => run),
        ...(more ? { next: Buffer.from(`${last.createdAt}|${last.index}`, 'utf8').toString('base64url') } : {}),
      },
    };
  }

  addLog(runId: string, body: unknown, clientId: string): Reply {
    const parsed = RunLogBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const run = this.findRun(runId);
    if (!('id' in run)) return run;
    const { message, terminationStatus, statusLabel } = parsed.data;
    if (terminationStatus !== undefined && isEndedStatus(run.status)) return this.endedReply(run);
    const at = this.iso();
    const log: EmulatorRunLog = {
      id: randomId('log_'),
      runId: run.id,
      message,
      terminationStatus: terminationStatus ?? null,
      statusLabel: statusLabel ?? null,
      createdBy: clientId,
      createdAt: at,
    };
    const logs = this.runLogs.get(run.id) ?? [];
    logs.push(log);
    this.runLogs.set(run.id, logs);
    if (terminationStatus !== undefined) {
      run.status = terminationStatus;
      run.endedAt = at;
      run.updatedAt = at;
      run.updatedBy = clientId;
      if (statusLabel !== undefined) run.statusLabel = statusLabel;
      this.endings.push({ runId: run.id, status: terminationStatus, via: 'log', at: this.now() });
    }
    const { terminationStatus: _t, statusLabel: _s, ...runLog } = log;
    return { status: 201, body: { ok: true, runLog } };
  }

  listLogs(runId: string, query: Record<string, string>): Reply {
    const run = this.findRun(runId);
    if (!('id' in run)) return run;
    const limit = Number(query.limit ?? 50);
    const offset = Number(query.offset ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 50 || !Number.isInteger(offset) || offset < 0) {
      return fail(422, ErrorCode.INVALID_REQUEST, 'limit must be 1..50 and offset ≥ 0');
    }
    const runLogs = (this.runLogs.get(run.id) ?? [])
      .slice(offset, offset + limit)
      .map(({ terminationStatus: _t, statusLabel: _s, ...log }) => log);
    return { status: 200, body: { ok: true, runLogs } };
  }

  // ---- entities -----------------------------------------------------------

  /** Port only lets `run_id` writes through while the run is IN_PROGRESS. */
  private checkRunForWrite(runId: string | undefined): Reply | undefined {
    if (runId === undefined) return undefined;
    const run = this.findRun(runId);
    if (!('id' in run)) return run;
    if (run.status !== RunStatus.IN_PROGRESS) {
      return fail(422, ErrorCode.RUN_ALREADY_ENDED, `Run "${run.id}" is ${run.status}, not ${RunStatus.IN_PROGRESS}`);
    }
    return undefined;
  }

  private linkToRun(runId: string | undefined, key: string): void {
    if (runId === undefined) return;
    const keys = this.runEntities.get(runId) ?? [];
    if (!keys.includes(key)) keys.push(key);
    this.runEntities.set(runId, keys);
  }

  createEntity(blueprint: string, body: unknown, query: Record<string, string>, clientId: string): Reply {
    const parsed = EntityBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const runFailure = this.checkRunForWrite(query.run_id);
    if (runFailure) return runFailure;
    const input = parsed.data;
    const identifier = input.identifier ?? randomId('e_');
    const key = `${blueprint}/${identifier}`;
    const existing = this.entities.get(key);
    const at = this.iso();
    const upsert = query.upsert === 'true';
    const merge = query.merge === 'true';
    if (existing && !upsert) {
      return fail(409, ErrorCode.IDENTIFIER_TAKEN, `Entity "${identifier}" already exists in blueprint "${blueprint}"`);
    }
    let entity: EmulatorEntity;
    if (existing && merge) {
      entity = {
        ...existing,
        title: input.title !== undefined ? input.title : existing.title,
        icon: input.icon !== undefined ? input.icon : existing.icon,
        team: input.team !== undefined ? input.team : existing.team,
        properties: { ...existing.properties, ...input.properties },
        relations: { ...existing.relations, ...input.relations },
        updatedAt: at,
        updatedBy: clientId,
      };
    } else {
      entity = {
        identifier,
        blueprint,
        title: input.title ?? null,
        icon: input.icon ?? null,
        team: input.team ?? [],
        properties: input.properties ?? {},
        relations: input.relations ?? {},
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
        createdBy: existing?.createdBy ?? clientId,
        updatedBy: clientId,
      };
    }
    this.entities.set(key, entity);
    this.linkToRun(query.run_id, key);
    return { status: existing ? 200 : 201, body: { ok: true, entity } };
  }

  getEntity(blueprint: string, identifier: string): Reply {
    const entity = this.entities.get(`${blueprint}/${identifier}`);
    if (!entity) {
      return fail(404, ErrorCode.NOT_FOUND, `Entity "${identifier}" was not found in blueprint "${blueprint}"`);
    }
    return { status: 200, body: { ok: true, entity } };
  }

  patchEntity(blueprint: string, identifier: string, body: unknown, query: Record<string, string>, clientId: string): Reply {
    const parsed = EntityBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const key = `${blueprint}/${identifier}`;
    const existing = this.entities.get(key);
    if (!existing) {
      return fail(404, ErrorCode.NOT_FOUND, `Entity "${identifier}" was not found in blueprint "${blueprint}"`);
    }
    const runFailure = this.checkRunForWrite(query.run_id);
    if (runFailure) return runFailure;
    const input = parsed.data;
    // PATCH changes only what it carries; properties/relations merge key by key.
    const entity: EmulatorEntity = {
      ...existing,
      identifier: input.identifier ?? existing.identifier,
      title: input.title !== undefined ? input.title : existing.title,
      icon: input.icon !== undefined ? input.icon : existing.icon,
      team: input.team !== undefined ? input.team : existing.team,
      properties: { ...existing.properties, ...input.properties },
      relations: { ...existing.relations, ...input.relations },
      updatedAt: this.iso(),
      updatedBy: clientId,
    };
    if (entity.identifier !== identifier) this.entities.delete(key);
    const newKey = `${blueprint}/${entity.identifier}`;
    this.entities.set(newKey, entity);
    this.linkToRun(query.run_id, newKey);
    return { status: 200, body: { ok: true, entity } };
  }
}

export type { Reply };
export { ErrorCode, fail, PortEmulatorStore };
