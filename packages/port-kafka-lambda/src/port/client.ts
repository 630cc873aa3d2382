import type * as z from 'zod';
import { describeIssues } from '../validation.js';
import { ActionEnvelopeSchema, type PortAction, type PortActionBody } from './actions.js';
import { createTokenCache, type IssuedToken } from './auth.js';
import {
  BlueprintEnvelopeSchema,
  BULK_MAX_ENTITIES,
  BulkEnvelopeSchema,
  type BulkUpsertResult,
  type EntityQuery,
  OkEnvelopeSchema,
  type PortBlueprint,
  SearchEnvelopeSchema,
} from './catalog.js';
import type { CredentialsLoader, PortCredentials } from './credentials.js';
import { type HttpMethod, PortApiError, PortAuthError, PortResponseError, PortUnavailableError, TransportError } from './errors.js';
import { createHttpTransport, type HttpResponse, HttpTransportError } from './http.js';
import { callWithRetries, DEFAULT_RETRY_SETTINGS, isRetryableStatus, type RetrySettings, type StopReason } from './retry.js';
import {
  EntityEnvelopeSchema,
  type EntityInput,
  type PortEntity,
  PortErrorBodySchema,
  type PortRun,
  RunEnvelopeSchema,
  RunListEnvelopeSchema,
  RunLogEnvelopeSchema,
  type RunLogInput,
  type RunPatch,
  TokenResponseSchema,
} from './types.js';

interface PortClientOptions {
  /** Resolved API base URL (see resolvePortBaseUrl). */
  baseUrl: string;
  /**
   * Called lazily; caching is the loader's job (credentials.ts). When Port refuses
   * the credentials and the loader can `invalidate`, they are read once more and
   * the token requested again: the secret may have been rotated.
   */
  credentials: CredentialsLoader;
  /** Per attempt, default 10 000. */
  timeoutMs?: number;
  /** Total time of one call is bounded by budgetMs (default 20 000). */
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number; budgetMs?: number };
  /** Clock (ms since epoch) for token expiry and the retry budget; injectable for tests. */
  now?: () => number;
  userAgent?: string;
  /** Source of jitter in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
  /** Called on each retry of an attempt (429, 5xx, network failure), before its delay: the consumer counts them. */
  onRetry?: () => void;
}

interface PortClient {
  /** GET /v1/actions/runs/{id}?version=v2 */
  getRun(runId: string): Promise<PortRun>;
  /**
   * GET /v1/actions/runs?version=v2 with the given filters: one page, newest
   * first, and the `next` token of the following page (absent on the last).
   */
  listRuns(query: RunListQuery): Promise<{ runs: PortRun[]; next?: string }>;
  /** PATCH /v1/actions/runs/{id}?version=v2. Setting `status` ends the run. */
  updateRun(runId: string, patch: RunPatch): Promise<PortRun>;
  /** POST /v1/actions/runs/{id}/logs. A `terminationStatus` ends the run (once). */
  addRunLog(runId: string, log: RunLogInput): Promise<void>;
  /** POST /v1/blueprints/{bp}/entities?upsert=true&merge=true[&run_id=] (merge defaults to true). */
  upsertEntity(blueprint: string, entity: EntityInput, opts?: { runId?: string; merge?: boolean }): Promise<PortEntity>;
  /** GET /v1/blueprints/{bp}/entities/{id} */
  getEntity(blueprint: string, identifier: string): Promise<PortEntity>;
  /** PATCH /v1/blueprints/{bp}/entities/{id}[?run_id=] */
  patchEntity(blueprint: string, identifier: string, patch: Partial<EntityInput>, opts?: { runId?: string }): Promise<PortEntity>;
  /**
   * POST /v1/blueprints/{bp}/entities/bulk, 20 entities per call (longer lists are split,
   * calls made one after another). Entities Port refuses (its 207 answer) are reported in
   * the result, by their index in `entities`, not thrown; a refused call still throws.
   */
  bulkUpsertEntities(blueprint: string, entities: readonly EntityInput[], opts?: BulkUpsertOptions): Promise<BulkUpsertResult>;
  /** DELETE /v1/blueprints/{bp}/entities/{id}?delete_dependents=[&run_id=] */
  deleteEntity(blueprint: string, identifier: string, opts?: { runId?: string; deleteDependents?: boolean }): Promise<void>;
  /** POST /v1/entities/search, or /v1/blueprints/{bp}/entities/search when `blueprint` is given (then `limit`, `from`). */
  searchEntities(query: EntityQuery, opts?: SearchOptions): Promise<PortEntity[]>;
  /** GET /v1/blueprints/{id} */
  getBlueprint(identifier: string): Promise<PortBlueprint>;
  /** GET /v1/actions/{id} (actions and automations); undefined when Port answers 404. */
  findAction(identifier: string): Promise<PortAction | undefined>;
  /** POST /v1/actions: creates an action or automation (409 when the identifier is taken). */
  createAction(action: PortActionBody): Promise<PortAction>;
  /** PUT /v1/actions/{id}: replaces an action or automation. */
  updateAction(identifier: string, action: PortActionBody): Promise<PortAction>;
  /**
   * Reads the credentials and gets an access token now, unless one is held, so
   * that the next call does not wait for them (the Lambda entry starts this
   * during a cold start's init). Rejects as a call would; a failure is not kept:
   * the next call tries again.
   */
  warmUp(): Promise<void>;
  /** Closes idle keep-alive sockets (tests, local tools). The client stays usable. */
  close(): void;
}

interface RunListQuery {
  /** Runs of this action (or automation) identifier. */
  action?: string;
  /** true: only runs that have not ended. */
  active?: boolean;
  /** Page size (Port: 1..1000). */
  limit?: number;
  /** The `next` token of the previous page. */
  next?: string;
}

interface BulkUpsertOptions {
  runId?: string;
  /** Default true: properties and relations not sent are kept. */
  merge?: boolean;
  /** Create entities that relations point to when they do not exist yet. */
  createMissingRelatedEntities?: boolean;
}

interface SearchOptions {
  blueprint?: string;
  /** Blueprint search only: at most this many (Port: 1..1000, default 200). */
  limit?: number;
  /** Blueprint search only: the `next` cursor of a previous page. */
  from?: string;
  /** Blueprint search only: just these fields, e.g. `$identifier`, `$title`, `properties.region`. */
  include?: readonly string[];
}

interface RequestSpec {
  method: HttpMethod;
  /** Path without query, used for the request and (as is) in error messages. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

const TOKEN_PATH = '/v1/auth/access_token';
const DEFAULT_USER_AGENT = 'port-kafka-lambda';

const seg = (value: string): string => encodeURIComponent(value);

const headerValue = (response: HttpResponse, name: string): string | undefined => {
  const value = response.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Turns the last failure of a call into one of our errors: a final answer into a
 * {@link PortApiError}, anything retried until it stopped into a {@link PortUnavailableError}.
 * Neither holds the request: its headers carry the token and, for the token
 * call, its body the client secret.
 */
const toPortError = (
  failure: HttpResponse | HttpTransportError,
  spec: RequestSpec,
  attempts: number,
  stopReason: StopReason
): PortApiError | PortUnavailableError => {
  if (!(failure instanceof HttpTransportError)) {
    const { status } = failure;
    const parsed = PortErrorBodySchema.safeParse(failure.body);
    const apiError = new PortApiError({
      status,
      method: spec.method,
      path: spec.path,
      portError: parsed.success ? parsed.data.error : undefined,
      portMessage: parsed.success ? parsed.data.message : undefined,
      traceId: headerValue(failure, 'x-trace-id'),
      retryable: isRetryableStatus(status),
    });
    if (!apiError.retryable) return apiError;
    return new PortUnavailableError({
      method: spec.method,
      path: spec.path,
      attempts,
      status,
      reason: stopReason,
      cause: apiError,
    });
  }
  return new PortUnavailableError({
    method: spec.method,
    path: spec.path,
    attempts,
    code: failure.code,
    reason: stopReason,
    retryable: stopReason !== 'not retryable',
    cause: new TransportError(failure.message, failure.code),
  });
};

/**
 * Creates the Port REST client. Every call: bounded by `retry.budgetMs` in total, each
 * attempt by `timeoutMs`; 429/5xx/network failures are retried for every method with
 * exponential backoff + full jitter, waiting at least `Retry-After`; other 4xx fail at
 * once as {@link PortApiError}; exhausted retries fail as {@link PortUnavailableError}.
 * A 401 on an API call drops the cached token, fetches a new one and repeats the call once.
 */
const createPortClient = (options: PortClientOptions): PortClient => {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const settings: RetrySettings = {
    retries: options.retry?.retries ?? DEFAULT_RETRY_SETTINGS.retries,
    baseDelayMs: options.retry?.baseDelayMs ?? DEFAULT_RETRY_SETTINGS.baseDelayMs,
    maxDelayMs: options.retry?.maxDelayMs ?? DEFAULT_RETRY_SETTINGS.maxDelayMs,
    budgetMs: options.retry?.budgetMs ?? DEFAULT_RETRY_SETTINGS.budgetMs,
    timeoutMs: options.timeoutMs ?? DEFAULT_RETRY_SETTINGS.timeoutMs,
  };
  const transport = createHttpTransport();
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;

  const urlOf = (spec: RequestSpec): URL => {
    const url = new URL(`${baseUrl}${spec.path}`);
    for (const [name, value] of Object.entries(spec.query ?? {})) url.searchParams.append(name, value);
    return url;
  };

  const send = async <T>(spec: RequestSpec, schema: z.ZodType<T>, deadline: number, token: string | undefined): Promise<T> => {
    const url = urlOf(spec);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': userAgent,
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    };
    // Port does not redirect API calls, and a redirect is not followed: it could carry the bearer token elsewhere.
    const outcome = await callWithRetries(
      (timeoutMs) => transport.send({ method: spec.method, url, headers, body: spec.body, timeoutMs }),
      { settings, deadline, now, random, ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }) }
    );
    if (!outcome.ok) throw toPortError(outcome.failure, spec, outcome.attempts, outcome.stopReason);
    const parsed = schema.safeParse(outcome.response.body);
    if (!parsed.success) {
      // Zod 4 issues hold paths and expectations, not the body's values, so the cause leaks no token.
      throw new PortResponseError(spec.method, spec.path, describeIssues(parsed.error), { cause: parsed.error });
    }
    return parsed.data;
  };

  const requestToken = async (credentials: PortCredentials, deadline: number): Promise<IssuedToken> => {
    const spec: RequestSpec = {
      method: 'POST',
      path: TOKEN_PATH,
      body: { clientId: credentials.clientId, clientSecret: credentials.clientSecret },
    };
    try {
      const body = await send(spec, TokenResponseSchema, deadline, undefined);
      return { accessToken: body.accessToken, expiresIn: body.expiresIn };
    } catch (error) {
      if (error instanceof PortApiError) {
        // 401/403: wrong credentials; 422: malformed ones. Neither improves by retrying.
        throw new PortAuthError(
          `Port refused the client credentials (${error.status}${error.portError ? ` ${error.portError}` : ''})`,
          { status: error.status, portError: error.portError, portMessage: error.portMessage },
          { cause: error }
        );
      }
      throw error;
    }
  };

  const fetchToken = async (deadline: number): Promise<IssuedToken> => {
    const credentials = await options.credentials();
    try {
      return await requestToken(credentials, deadline);
    } catch (error) {
      if (!(error instanceof PortAuthError) || options.credentials.invalidate === undefined) throw error;
      // After a rotation this container still holds the old secret: read it again, once.
      options.credentials.invalidate(credentials);
      const fresh = await options.credentials();
      if (fresh.clientId === credentials.clientId && fresh.clientSecret === credentials.clientSecret) throw error;
      return requestToken(fresh, deadline);
    }
  };

  const tokens = createTokenCache({ fetchToken, now });

  const call = async <T>(spec: RequestSpec, schema: z.ZodType<T>): Promise<T> => {
    const deadline = now() + settings.budgetMs;
    const token = await tokens.get(deadline);
    try {
      return await send(spec, schema, deadline, token);
    } catch (error) {
      if (!(error instanceof PortApiError) || error.status !== 401) throw error;
      // Token revoked or expired early: refresh once, repeat once.
      tokens.invalidate(token);
      const fresh = await tokens.get(deadline);
      try {
        return await send(spec, schema, deadline, fresh);
      } catch (retryError) {
        if (retryError instanceof PortApiError && retryError.status === 401) {
          throw new PortAuthError(
            `Port rejected a freshly issued access token on ${spec.method} ${spec.path}`,
            { status: 401, portError: retryError.portError, portMessage: retryError.portMessage },
            { cause: retryError }
          );
        }
        throw retryError;
      }
    }
  };

  const runPath = (runId: string): string => `/v1/actions/runs/${seg(runId)}`;
  const entityPath = (blueprint: string, identifier?: string): string =>
    `/v1/blueprints/${seg(blueprint)}/entities${identifier === undefined ? '' : `/${seg(identifier)}`}`;
  const runQuery = (runId: string | undefined): Record<string, string> => (runId === undefined ? {} : { run_id: runId });

  return {
    async getRun(runId) {
      const body = await call({ method: 'GET', path: runPath(runId), query: { version: 'v2' } }, RunEnvelopeSchema);
      return body.run;
    },
    async listRuns(query) {
      const body = await call(
        {
          method: 'GET',
          path: '/v1/actions/runs',
          query: {
            version: 'v2',
            ...(query.action === undefined ? {} : { action: query.action }),
            ...(query.active === undefined ? {} : { active: String(query.active) }),
            ...(query.limit === undefined ? {} : { limit: String(query.limit) }),
            ...(query.next === undefined ? {} : { next: query.next }),
          },
        },
        RunListEnvelopeSchema
      );
      return { runs: body.runs, ...(typeof body.next === 'string' && body.next !== '' ? { next: body.next } : {}) };
    },
    async updateRun(runId, patch) {
      const body = await call({ method: 'PATCH', path: runPath(runId), query: { version: 'v2' }, body: patch }, RunEnvelopeSchema);
      return body.run;
    },
    async addRunLog(runId, log) {
      await call({ method: 'POST', path: `${runPath(runId)}/logs`, body: log }, RunLogEnvelopeSchema);
    },
    async upsertEntity(blueprint, entity, opts) {
      const body = await call(
        {
          method: 'POST',
          path: entityPath(blueprint),
          query: { upsert: 'true', merge: String(opts?.merge ?? true), ...runQuery(opts?.runId) },
          body: entity,
        },
        EntityEnvelopeSchema
      );
      return body.entity;
    },
    async getEntity(blueprint, identifier) {
      const body = await call({ method: 'GET', path: entityPath(blueprint, identifier) }, EntityEnvelopeSchema);
      return body.entity;
    },
    async patchEntity(blueprint, identifier, patch, opts) {
      const body = await call(
        { method: 'PATCH', path: entityPath(blueprint, identifier), query: runQuery(opts?.runId), body: patch },
        EntityEnvelopeSchema
      );
      return body.entity;
    },
    async bulkUpsertEntities(blueprint, entities, opts) {
      const result: BulkUpsertResult = { entities: [], errors: [], ok: true };
      const query = {
        upsert: 'true',
        merge: String(opts?.merge ?? true),
        ...(opts?.createMissingRelatedEntities ? { create_missing_related_entities: 'true' } : {}),
        ...runQuery(opts?.runId),
      };
      for (let start = 0; start < entities.length; start += BULK_MAX_ENTITIES) {
        const chunk = entities.slice(start, start + BULK_MAX_ENTITIES);
        const body = await call(
          { method: 'POST', path: `${entityPath(blueprint)}/bulk`, query, body: { entities: chunk } },
          BulkEnvelopeSchema
        );
        // Port numbers entities within the call; callers think in their own list.
        for (const e of body.entities) result.entities.push({ identifier: e.identifier, index: start + e.index, created: e.created });
        for (const e of body.errors) {
          result.errors.push({
            identifier: e.identifier ?? chunk[e.index]?.identifier,
            index: start + e.index,
            statusCode: e.statusCode,
            error: e.error,
            message: e.message,
          });
        }
      }
      result.ok = result.errors.length === 0;
      return result;
    },
    async deleteEntity(blueprint, identifier, opts) {
      await call(
        {
          method: 'DELETE',
          path: entityPath(blueprint, identifier),
          query: { delete_dependents: String(opts?.deleteDependents ?? false), ...runQuery(opts?.runId) },
        },
        OkEnvelopeSchema
      );
    },
    async searchEntities(query, opts) {
      const include = opts?.include === undefined ? {} : { include: [...opts.include] };
      if (opts?.blueprint === undefined) {
        const body = await call({ method: 'POST', path: '/v1/entities/search', body: { ...query } }, SearchEnvelopeSchema);
        return body.entities;
      }
      const body = await call(
        {
          method: 'POST',
          path: `${entityPath(opts.blueprint)}/search`,
          body: {
            query,
            ...include,
            ...(opts.limit === undefined ? {} : { limit: opts.limit }),
            ...(opts.from === undefined ? {} : { from: opts.from }),
          },
        },
        SearchEnvelopeSchema
      );
      return body.entities;
    },
    async getBlueprint(identifier) {
      const body = await call({ method: 'GET', path: `/v1/blueprints/${seg(identifier)}` }, BlueprintEnvelopeSchema);
      return body.blueprint;
    },
    async findAction(identifier) {
      try {
        const body = await call({ method: 'GET', path: `/v1/actions/${seg(identifier)}` }, ActionEnvelopeSchema);
        return body.action;
      } catch (error) {
        if (error instanceof PortApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async createAction(action) {
      const body = await call({ method: 'POST', path: '/v1/actions', body: action }, ActionEnvelopeSchema);
      return body.action;
    },
    async updateAction(identifier, action) {
      const body = await call({ method: 'PUT', path: `/v1/actions/${seg(identifier)}`, body: action }, ActionEnvelopeSchema);
      return body.action;
    },
    async warmUp() {
      await tokens.get(now() + settings.budgetMs);
    },
    close() {
      transport.close();
    },
  };
};

export type {
  BulkUpsertOptions,
  BulkUpsertResult,
  EntityInput,
  EntityQuery,
  PortAction,
  PortActionBody,
  PortBlueprint,
  PortClient,
  PortClientOptions,
  PortEntity,
  PortRun,
  RunListQuery,
  RunPatch,
  SearchOptions,
};
export { createPortClient };
