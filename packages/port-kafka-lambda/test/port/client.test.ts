import { lookup } from 'node:dns/promises';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { PortKafkaError } from '../../src/errors.js';
import { createPortClient, type PortClient, type PortClientOptions } from '../../src/port/client.js';
import { PortApiError, PortAuthError, PortError, PortResponseError, PortUnavailableError } from '../../src/port/errors.js';

const TOKEN_PATH = '/v1/auth/access_token';
const credentials = async () => ({ ...DEFAULT_EMULATOR_CLIENT });

let emu: PortEmulator;
const clients: PortClient[] = [];

/** Small delays so retry tests stay fast. */
const makeClient = (overrides: Partial<PortClientOptions> = {}): PortClient => {
  const client = createPortClient({
    baseUrl: emu.url,
    credentials,
    timeoutMs: 1_000,
    retry: { retries: 4, baseDelayMs: 10, maxDelayMs: 40, budgetMs: 4_000 },
    ...overrides,
  });
  clients.push(client);
  return client;
};

const tokenRequests = () => emu.requests.filter((r) => r.path === TOKEN_PATH);
const apiRequests = () => emu.requests.filter((r) => r.path !== TOKEN_PATH);

const catchError = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
};

beforeEach(async () => {
  emu = await startPortEmulator();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await emu.close();
});

describe('PortClient access token', () => {
  it('requests one token for many sequential calls', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient();

    for (let i = 0; i < 5; i += 1) await client.getRun('r_1');

    expect(tokenRequests()).toHaveLength(1);
    expect(apiRequests()).toHaveLength(5);
    expect(apiRequests().every((r) => r.headers.authorization === 'Bearer ***')).toBe(true);
  });

  it('shares one token request between concurrent callers', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.latencyMs = 30; // keep the token request in flight while the others queue up
    const client = makeClient();

    const runs = await Promise.all(Array.from({ length: 10 }, () => client.getRun('r_1')));

    expect(runs.map((r) => r.id)).toEqual(Array(10).fill('r_1'));
    expect(tokenRequests()).toHaveLength(1);
  });

  it('does not call the credentials loader before the first API call', async () => {
    let loads = 0;
    const client = makeClient({
      credentials: async () => {
        loads += 1;
        return { ...DEFAULT_EMULATOR_CLIENT };
      },
    });
    expect(loads).toBe(0);
    emu.createRun({ id: 'r_1', action: 'deploy' });

    await client.getRun('r_1');

    expect(loads).toBe(1);
  });

  it('refreshes the token shortly before it expires, using the injected clock', async () => {
    await emu.close();
    let clock = Date.UTC(2026, 0, 1);
    const now = () => clock;
    emu = await startPortEmulator({ tokenTtlSeconds: 100, now });
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient({ now });

    await client.getRun('r_1');
    clock += 50_000; // still fresh
    await client.getRun('r_1');
    expect(tokenRequests()).toHaveLength(1);

    clock += 45_000; // 95 s: inside the refresh margin (10 % of 100 s)
    await client.getRun('r_1');
    expect(tokenRequests()).toHaveLength(2);

    clock += 10_000; // 105 s: the first token has expired at the emulator
    await client.getRun('r_1');
    expect(tokenRequests()).toHaveLength(3);
    // The client never presented an expired token.
    expect(emu.requests.filter((r) => r.status === 401)).toHaveLength(0);
  });

  it('refreshes the token once and repeats the call once after a 401', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient();
    await client.getRun('r_1');
    emu.revokeTokens();

    const run = await client.getRun('r_1');

    expect(run.id).toBe('r_1');
    expect(emu.requests.map((r) => [r.path, r.status])).toEqual([
      [TOKEN_PATH, 200],
      ['/v1/actions/runs/r_1', 200],
      ['/v1/actions/runs/r_1', 401],
      [TOKEN_PATH, 200],
      ['/v1/actions/runs/r_1', 200],
    ]);
  });

  it('fails with PortAuthError when a fresh token is rejected too', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { path: '/v1/actions/runs/r_1' }, times: 5, respond: { status: 401 } });
    const client = makeClient();

    const error = await catchError(client.getRun('r_1'));

    expect(error).toBeInstanceOf(PortAuthError);
    expect((error as PortAuthError).status).toBe(401);
    expect(apiRequests()).toHaveLength(2);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('fails with PortAuthError, without retrying, on wrong credentials', async () => {
    const client = makeClient({ credentials: async () => ({ clientId: 'nobody', clientSecret: 'wrong-secret' }) });

    const error = await catchError(client.getRun('r_1'));

    expect(error).toBeInstanceOf(PortAuthError);
    expect(error).toBeInstanceOf(PortKafkaError);
    expect((error as PortAuthError).status).toBe(401);
    expect((error as PortAuthError).retryable).toBe(false);
    expect(tokenRequests()).toHaveLength(1);
    expect(apiRequests()).toHaveLength(0);
  });

  it('gets the token on warmUp, once, and the next call uses it', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient();

    await client.warmUp();
    const afterWarmUp = emu.requests.map((r) => r.path);
    await client.warmUp();
    await client.getRun('r_1');

    expect(afterWarmUp).toEqual([TOKEN_PATH]);
    expect(emu.requests.map((r) => r.path)).toEqual([TOKEN_PATH, '/v1/actions/runs/r_1']);
  });

  it('rejects a failed warmUp like a call, and does not keep its failure', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { path: TOKEN_PATH }, respond: { status: 403 } });
    const client = makeClient();

    await expect(client.warmUp()).rejects.toBeInstanceOf(PortAuthError);
    await expect(client.getRun('r_1')).resolves.toMatchObject({ id: 'r_1' });
    expect(tokenRequests().map((r) => r.status)).toEqual([403, 200]);
  });

  it('does not cache a failed token request', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { path: TOKEN_PATH }, times: 1, respond: { status: 403 } });
    const client = makeClient();

    await expect(client.getRun('r_1')).rejects.toBeInstanceOf(PortAuthError);
    await expect(client.getRun('r_1')).resolves.toMatchObject({ id: 'r_1' });
    expect(tokenRequests()).toHaveLength(2);
  });
});

describe('PortClient retries', () => {
  it('honours Retry-After (seconds) on 429', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient();
    await client.getRun('r_1'); // token out of the way
    emu.faults.push({ match: { method: 'GET' }, respond: { status: 429, headers: { 'retry-after': '1' } } });

    const started = Date.now();
    await client.getRun('r_1');
    const elapsed = Date.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(apiRequests().map((r) => r.status)).toEqual([200, 429, 200]);
  });

  it('retries a 500 and succeeds', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { path: /^\/v1\/actions\/runs\// }, times: 2, respond: { status: 500 } });
    const client = makeClient();

    await expect(client.getRun('r_1')).resolves.toMatchObject({ id: 'r_1', status: 'IN_PROGRESS' });
    expect(apiRequests().map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('retries a POST after a dropped connection', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { method: 'POST', path: '/v1/actions/runs/r_1/logs' }, respond: { drop: true } });
    const client = makeClient();

    await client.addRunLog('r_1', { message: 'hello' });

    const posts = apiRequests().filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.fault ?? r.status)).toEqual(['drop', 201]);
    expect(emu.logs('r_1').map((l) => l.message)).toEqual(['hello']);
  });

  it('retries a PATCH on 503 and ends the run', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { method: 'PATCH' }, times: 2, respond: { status: 503 } });
    const client = makeClient();

    const run = await client.updateRun('r_1', { status: 'SUCCESS', summary: 'done', link: ['https://ci/1'] });

    expect(run).toMatchObject({ status: 'SUCCESS', summary: 'done', link: ['https://ci/1'] });
    expect(typeof run.endedAt).toBe('string');
    expect(apiRequests().map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('retries a POST entity upsert on 429 and the token request on 502', async () => {
    emu.faults.push({ match: { path: TOKEN_PATH }, respond: { status: 502 } });
    emu.faults.push({ match: { method: 'POST', path: '/v1/blueprints/service/entities' }, respond: { status: 429 } });
    const client = makeClient();

    const entity = await client.upsertEntity('service', { identifier: 'svc-a', properties: { tier: 1 } });

    expect(entity).toMatchObject({ identifier: 'svc-a', properties: { tier: 1 } });
    expect(tokenRequests().map((r) => r.status)).toEqual([502, 200]);
    expect(apiRequests().map((r) => r.status)).toEqual([429, 201]);
  });

  it('times out a slow attempt and retries it', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient({ timeoutMs: 150 });
    await client.getRun('r_1');
    emu.faults.push({ match: { method: 'GET' }, respond: { delayMs: 1_000 } });

    await client.getRun('r_1');

    // The slow attempt was given up, not waited for: the call succeeded on the retry while the
    // emulator had not yet answered it (1 s delay; the client's 150 ms timer, in this same
    // process, always fires first, however busy the machine), where a wall-clock bound could miss.
    const gets = apiRequests().filter((r) => r.method === 'GET');
    expect(gets.map((r) => [r.fault, r.status])).toEqual([
      [undefined, 200],
      ['delay', undefined],
      [undefined, 200],
    ]);
  });

  it('stops retrying at the time budget with PortUnavailableError', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient({ retry: { retries: 100, baseDelayMs: 50, maxDelayMs: 100, budgetMs: 700 } });
    await client.getRun('r_1');
    emu.faults.push({ match: { method: 'GET' }, times: 1_000, respond: { status: 500 } });

    const started = Date.now();
    const error = await catchError(client.getRun('r_1'));
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(PortUnavailableError);
    const unavailable = error as PortUnavailableError;
    expect(unavailable.retryable).toBe(true);
    expect(unavailable.status).toBe(500);
    expect(unavailable.attempts).toBeGreaterThan(2);
    expect(unavailable.attempts).toBe(apiRequests().length - 1);
    expect(unavailable.message).toContain('time budget exhausted');
    // Gave up at the budget. The bound leaves room for a busy machine; a client that ignored
    // the budget would go on for its 100 retries (up to 100 ms apart), far past it.
    expect(elapsed).toBeLessThan(2 * 700);
  });

  it('does not wait for a Retry-After that exceeds the budget', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    // A budget of seconds (the call itself takes a few ms) so that a busy machine cannot reach
    // it: a client that waited, for Retry-After or for the budget, would.
    const client = makeClient({ retry: { budgetMs: 3_000 } });
    await client.getRun('r_1');
    emu.faults.push({ match: { method: 'GET' }, respond: { status: 429, headers: { 'retry-after': '30' } } });

    const started = Date.now();
    const error = await catchError(client.getRun('r_1'));

    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(PortUnavailableError);
    expect((error as PortUnavailableError).status).toBe(429);
    expect((error as PortUnavailableError).attempts).toBe(1);
  });

  it('stops after the configured number of retries', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient({ retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    await client.getRun('r_1');
    emu.faults.push({ match: { method: 'GET' }, times: 10, respond: { status: 502 } });

    const error = await catchError(client.getRun('r_1'));

    expect(error).toBeInstanceOf(PortUnavailableError);
    expect((error as PortUnavailableError).attempts).toBe(3);
    expect((error as PortUnavailableError).message).toContain('retries exhausted');
  });

  it('reports a refused connection as PortUnavailableError with its code', async () => {
    const url = emu.url;
    await emu.close();
    emu = await startPortEmulator(); // afterEach closes this one
    const client = makeClient({ baseUrl: url, retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } });

    const error = await catchError(client.getRun('r_1'));

    expect(error).toBeInstanceOf(PortUnavailableError);
    expect((error as PortUnavailableError).code).toBe('ECONNREFUSED');
    expect((error as PortUnavailableError).attempts).toBe(3);
  });
});

describe('PortClient final errors', () => {
  it('does not retry a 404 and types it', async () => {
    const client = makeClient();

    const error = await catchError(client.getRun('r_missing'));

    expect(error).toBeInstanceOf(PortApiError);
    expect(error).toBeInstanceOf(PortError);
    expect(error).toMatchObject({
      name: 'PortApiError',
      status: 404,
      method: 'GET',
      path: '/v1/actions/runs/r_missing',
      portError: 'not_found',
      retryable: false,
    });
    expect((error as PortApiError).portMessage).toContain('r_missing');
    expect((error as PortApiError).traceId).toMatch(/^[0-9a-f]{16}$/);
    expect(apiRequests()).toHaveLength(1);
  });

  it('does not retry a 422 (ending a run twice)', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient();
    await client.addRunLog('r_1', { message: 'bye', terminationStatus: 'FAILURE', statusLabel: 'Broke' });

    const error = await catchError(client.updateRun('r_1', { status: 'SUCCESS' }));

    expect(error).toMatchObject({ name: 'PortApiError', status: 422, method: 'PATCH', retryable: false });
    expect(apiRequests().filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(emu.getRun('r_1')?.status).toBe('FAILURE');
  });

  it('rejects a 2xx body of the wrong shape with PortResponseError', async () => {
    emu.faults.push({ match: { method: 'GET' }, respond: { status: 200, body: { ok: true } } });
    const client = makeClient();

    const error = await catchError(client.getRun('r_1'));

    expect(error).toBeInstanceOf(PortResponseError);
    expect((error as Error).message).toContain('run');
  });

  it('never carries the client secret, the token or headers in any error', async () => {
    const secret = DEFAULT_EMULATOR_CLIENT.clientSecret;
    const tokenResponse = await fetch(`${emu.url}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(DEFAULT_EMULATOR_CLIENT),
    });
    // Port returns the same active token until it expires, so this is the client's token too.
    const { accessToken } = (await tokenResponse.json()) as { accessToken: string };
    expect(accessToken.length).toBeGreaterThan(10);

    const client = makeClient({ retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2, budgetMs: 2_000 } });
    emu.createRun({ id: 'r_1', action: 'deploy' });
    await client.getRun('r_1');
    const errors: unknown[] = [];
    errors.push(await catchError(client.getRun('r_missing'))); // 404
    emu.faults.push({ match: { method: 'GET' }, times: 2, respond: { status: 500 } });
    errors.push(await catchError(client.getRun('r_1'))); // 5xx exhausted
    emu.faults.push({ match: { method: 'GET' }, times: 2, respond: { drop: true } });
    errors.push(await catchError(client.getRun('r_1'))); // network
    emu.faults.push({ match: { method: 'PATCH' }, times: 2, respond: { status: 401 } });
    errors.push(await catchError(client.updateRun('r_1', { summary: 'x' }))); // 401 twice
    emu.revokeTokens();
    emu.faults.push({ match: { path: TOKEN_PATH }, times: 2, respond: { drop: true } });
    errors.push(await catchError(client.getRun('r_1'))); // token request: network (body held the secret)
    const wrong = makeClient({ credentials: async () => ({ clientId: 'x', clientSecret: secret }) });
    errors.push(await catchError(wrong.getRun('r_1'))); // wrong credentials

    expect(errors.map((e) => (e as Error).name)).toEqual([
      'PortApiError',
      'PortUnavailableError',
      'PortUnavailableError',
      'PortAuthError',
      'PortUnavailableError',
      'PortAuthError',
    ]);
    for (const error of errors) {
      const renderings = [
        JSON.stringify(error),
        JSON.stringify(error, Object.getOwnPropertyNames(error)),
        inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
        String(error),
      ];
      for (const text of renderings) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(accessToken);
        expect(text).not.toMatch(/authorization/i);
      }
    }
  });
});

describe('PortClient requests', () => {
  it('sends the documented paths, queries and bodies', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const client = makeClient({ userAgent: 'test-agent/1' });

    await client.getRun('r_1');
    await client.upsertEntity('service', { identifier: 'svc a', title: 'A', properties: { x: 1 } }, { runId: 'r_1' });
    const patched = await client.patchEntity('service', 'svc a', { properties: { y: 2 } }, { runId: 'r_1' });
    const fetched = await client.getEntity('service', 'svc a');
    await client.updateRun('r_1', { statusLabel: 'Working', externalRunId: 'ext-1' });
    await client.addRunLog('r_1', { message: 'done', terminationStatus: 'SUCCESS' });

    expect(patched.properties).toEqual({ x: 1, y: 2 });
    expect(fetched).toMatchObject({ identifier: 'svc a', title: 'A', blueprint: 'service' });
    expect(apiRequests().map((r) => [r.method, r.path, r.query])).toEqual([
      ['GET', '/v1/actions/runs/r_1', { version: 'v2' }],
      ['POST', '/v1/blueprints/service/entities', { upsert: 'true', merge: 'true', run_id: 'r_1' }],
      ['PATCH', '/v1/blueprints/service/entities/svc%20a', { run_id: 'r_1' }],
      ['GET', '/v1/blueprints/service/entities/svc%20a', {}],
      ['PATCH', '/v1/actions/runs/r_1', { version: 'v2' }],
      ['POST', '/v1/actions/runs/r_1/logs', {}],
    ]);
    expect(apiRequests()[5]?.body).toEqual({ message: 'done', terminationStatus: 'SUCCESS' });
    expect(apiRequests()[0]?.headers['user-agent']).toBe('test-agent/1');
    expect(apiRequests()[0]?.headers.connection).toBe('keep-alive');
    expect(emu.getRun('r_1')).toMatchObject({ status: 'SUCCESS', statusLabel: 'Working', externalRunId: 'ext-1' });
    expect(emu.entitiesOfRun('r_1')).toEqual(['service/svc a']);
  });

  it('sends merge=false when asked', async () => {
    const client = makeClient();
    await client.upsertEntity('service', { identifier: 'a', properties: { x: 1, y: 1 } });

    const replaced = await client.upsertEntity('service', { identifier: 'a', properties: { y: 2 } }, { merge: false });

    expect(replaced.properties).toEqual({ y: 2 });
    expect(apiRequests()[1]?.query).toEqual({ upsert: 'true', merge: 'false' });
  });
});

describe('PortClient unresolvable host', () => {
  it('does not retry a host that does not exist and marks it not retryable', async () => {
    const host = 'port-emulator.invalid';
    // Without a DNS server the resolver says EAI_AGAIN (transient, retried); only ENOTFOUND is final.
    const resolverCode = await lookup(host).then(
      () => 'resolved',
      (error: NodeJS.ErrnoException) => error.code
    );
    const client = makeClient({ baseUrl: `http://${host}`, retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } });

    const error = await catchError(client.getRun('r_1'));

    expect(error).toBeInstanceOf(PortUnavailableError);
    if (resolverCode === 'ENOTFOUND') {
      expect(error).toMatchObject({ code: 'ENOTFOUND', attempts: 1, retryable: false });
    } else {
      expect(error).toMatchObject({ code: resolverCode, attempts: 3, retryable: true });
    }
  });
});
