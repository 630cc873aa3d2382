import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';

let emu: PortEmulator;
let token: string;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

const call = async (method: string, path: string, body?: unknown, auth: string | null = token): Promise<Answer> => {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.authorization = `Bearer ${auth}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
};

const getToken = async (): Promise<string> => {
  const res = await call('POST', '/v1/auth/access_token', DEFAULT_EMULATOR_CLIENT, null);
  expect(res.status).toBe(200);
  return res.body.accessToken as string;
};

beforeEach(async () => {
  emu = await startPortEmulator();
  token = await getToken();
  emu.requests.length = 0;
});

afterEach(async () => {
  await emu.close();
});

describe('emulator: auth', () => {
  it('issues Port-shaped tokens and returns the same active token until expiry', async () => {
    const res = await call('POST', '/v1/auth/access_token', DEFAULT_EMULATOR_CLIENT, null);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, accessToken: token, expiresIn: 10_800, tokenType: 'Bearer' });
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 401 to wrong credentials and 422 to missing fields', async () => {
    const wrong = await call('POST', '/v1/auth/access_token', { clientId: 'x', clientSecret: 'y' }, null);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ ok: false, error: 'unauthorized' });

    const missing = await call('POST', '/v1/auth/access_token', { clientId: 'x' }, null);
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ ok: false, error: 'invalid_request' });
    expect(missing.body.message).toContain('clientSecret');
  });

  it('expires tokens on the injected clock and issues a new one', async () => {
    await emu.close();
    let clock = 1_000_000;
    emu = await startPortEmulator({ tokenTtlSeconds: 60, now: () => clock });
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const first = await getToken();
    expect((await call('GET', '/v1/actions/runs/r_1', undefined, first)).status).toBe(200);

    clock += 30_000;
    const again = await call('POST', '/v1/auth/access_token', DEFAULT_EMULATOR_CLIENT, null);
    expect(again.body).toMatchObject({ accessToken: first, expiresIn: 30 });

    clock += 30_000;
    const expired = await call('GET', '/v1/actions/runs/r_1', undefined, first);
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe('Access token expired');
    const second = await getToken();
    expect(second).not.toBe(first);
    expect((await call('GET', '/v1/actions/runs/r_1', undefined, second)).status).toBe(200);
  });

  it.each([
    [null, 'Missing bearer token'],
    ['emu_token_unknown', 'Invalid access token'],
  ])('answers 401 to API calls with token %j', async (auth, message) => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const res = await call('GET', '/v1/actions/runs/r_1', undefined, auth);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ ok: false, error: 'unauthorized', message });
  });

  it('revokes every token on demand', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.revokeTokens();
    expect((await call('GET', '/v1/actions/runs/r_1')).status).toBe(401);
  });
});

describe('emulator: runs', () => {
  it('answers 404 for an unknown run, unless autoCreateRuns', async () => {
    const res = await call('GET', '/v1/actions/runs/r_nope');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ ok: false, error: 'not_found' });

    await emu.close();
    emu = await startPortEmulator({ autoCreateRuns: true });
    token = await getToken();
    const created = await call('GET', '/v1/actions/runs/r_new');
    expect(created.status).toBe(200);
    expect(created.body.run).toMatchObject({ id: 'r_new', status: 'IN_PROGRESS', endedAt: null });
    expect(emu.getRun('r_new')).toBeDefined();
  });

  it('keeps a run IN_PROGRESS on label-only PATCHes and ends it on status', async () => {
    const seeded = emu.createRun({ action: 'deploy' });
    expect(seeded.id).toMatch(/^r_/);
    const path = `/v1/actions/runs/${seeded.id}`;

    const label = await call('PATCH', path, { statusLabel: 'Halfway', link: 'https://ci/1', externalRunId: 'ext-9' });
    expect(label.status).toBe(200);
    expect(label.body.run).toMatchObject({ status: 'IN_PROGRESS', statusLabel: 'Halfway', link: 'https://ci/1', endedAt: null });

    const end = await call('PATCH', path, { status: 'SUCCESS', summary: 'All good', link: ['https://ci/2'] });
    expect(end.status).toBe(200);
    expect(end.body.run).toMatchObject({ status: 'SUCCESS', summary: 'All good', link: ['https://ci/2'], externalRunId: 'ext-9' });
    expect(typeof emu.getRun(seeded.id)?.endedAt).toBe('string');

    const again = await call('PATCH', path, { status: 'FAILURE' });
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({ ok: false, error: 'run_already_ended' });
    expect(emu.getRun(seeded.id)?.status).toBe('SUCCESS');
  });

  // The executor skips runs in these statuses (port/types.ts); the emulator used to end only the first three.
  it.each(['SUCCESS', 'FAILURE', 'DECLINED', 'CANCELLED', 'CANCELED', 'ABORTED'])(
    'treats a run seeded as %s as ended: PATCHes and termination logs are refused, plain logs kept',
    async (status) => {
      const seeded = emu.createRun({ action: 'deploy', status });
      expect(typeof seeded.endedAt).toBe('string');
      const path = `/v1/actions/runs/${seeded.id}`;

      const patch = await call('PATCH', path, { statusLabel: 'late' });
      expect(patch.status).toBe(422);
      expect(patch.body).toMatchObject({ ok: false, error: 'run_already_ended' });
      const ending = await call('POST', `${path}/logs`, { message: 'done', terminationStatus: 'SUCCESS' });
      expect(ending.status).toBe(422);
      const plain = await call('POST', `${path}/logs`, { message: 'note' });
      expect(plain.status).toBe(201);
      expect(emu.getRun(seeded.id)).toMatchObject({ status, statusLabel: null });
    }
  );

  it.each([
    [{ status: 'IN_PROGRESS' }, 'status'],
    [{ link: 5 }, 'link'],
    [{ unknownField: true }, 'unknownField'],
  ])('answers 422 to an invalid PATCH %j', async (body, field) => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const res = await call('PATCH', '/v1/actions/runs/r_1', body);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ ok: false, error: 'invalid_request' });
    expect(JSON.stringify(res.body.message)).toContain(field);
    expect(emu.getRun('r_1')?.status).toBe('IN_PROGRESS');
  });

  it('adds logs, ends the run with a termination log once, and lists logs', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const logsPath = '/v1/actions/runs/r_1/logs';

    const plain = await call('POST', logsPath, { message: 'step 1' });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ ok: true, runLog: { runId: 'r_1', message: 'step 1' } });
    expect(emu.getRun('r_1')?.status).toBe('IN_PROGRESS');

    const last = await call('POST', logsPath, { message: 'bye', terminationStatus: 'FAILURE', statusLabel: 'Failed' });
    expect(last.status).toBe(201);
    expect(emu.getRun('r_1')).toMatchObject({ status: 'FAILURE', statusLabel: 'Failed' });

    const twice = await call('POST', logsPath, { message: 'bye again', terminationStatus: 'SUCCESS' });
    expect(twice.status).toBe(422);
    expect(twice.body).toMatchObject({ error: 'run_already_ended' });
    expect(emu.getRun('r_1')?.status).toBe('FAILURE');

    const afterEnd = await call('POST', logsPath, { message: 'late note' });
    expect(afterEnd.status).toBe(201);

    const list = await call('GET', `${logsPath}?limit=2&offset=1`);
    expect((list.body.runLogs as Array<{ message: string }>).map((l) => l.message)).toEqual(['bye', 'late note']);
    expect(emu.logs('r_1').map((l) => l.terminationStatus)).toEqual([null, 'FAILURE', null]);
  });

  it('answers 422 to a log without message or with a bad terminationStatus', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    expect((await call('POST', '/v1/actions/runs/r_1/logs', {})).status).toBe(422);
    expect((await call('POST', '/v1/actions/runs/r_1/logs', { message: 'x', terminationStatus: 'DONE' })).status).toBe(422);
    expect(emu.logs('r_1')).toEqual([]);
  });
});

describe('emulator: entities', () => {
  const entities = '/v1/blueprints/service/entities';

  it('creates (201), upserts with merge (200), replaces without merge, and refuses duplicates without upsert (409)', async () => {
    const created = await call('POST', `${entities}?upsert=true`, { identifier: 'a', title: 'A', properties: { x: 1, y: 1 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ok: true, entity: { identifier: 'a', blueprint: 'service', title: 'A' } });

    const merged = await call('POST', `${entities}?upsert=true&merge=true`, { identifier: 'a', properties: { y: 2 } });
    expect(merged.status).toBe(200);
    expect(merged.body.entity).toMatchObject({ title: 'A', properties: { x: 1, y: 2 } });

    const replaced = await call('POST', `${entities}?upsert=true`, { identifier: 'a', properties: { z: 3 } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.entity).toMatchObject({ title: null, properties: { z: 3 } });

    const duplicate = await call('POST', entities, { identifier: 'a' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ ok: false, error: 'identifier_taken' });
    expect(emu.entities.get('service/a')?.properties).toEqual({ z: 3 });
  });

  it('checks run_id: unknown run 404, ended run 422, live run links the entity', async () => {
    expect((await call('POST', `${entities}?upsert=true&run_id=r_nope`, { identifier: 'a' })).status).toBe(404);

    emu.createRun({ id: 'r_done', action: 'deploy', status: 'SUCCESS' });
    const ended = await call('POST', `${entities}?upsert=true&run_id=r_done`, { identifier: 'a' });
    expect(ended.status).toBe(422);
    expect(ended.body).toMatchObject({ error: 'run_already_ended' });
    expect(emu.entities.size).toBe(0);

    emu.createRun({ id: 'r_live', action: 'deploy' });
    expect((await call('POST', `${entities}?upsert=true&run_id=r_live`, { identifier: 'a' })).status).toBe(201);
    expect(emu.entitiesOfRun('r_live')).toEqual(['service/a']);
  });

  it('gets and patches an entity, 404 when unknown', async () => {
    expect((await call('GET', `${entities}/a`)).status).toBe(404);
    expect((await call('PATCH', `${entities}/a`, { title: 'x' })).status).toBe(404);
    await call('POST', `${entities}?upsert=true`, { identifier: 'a', properties: { x: 1 }, relations: { team: 't1' } });

    const patched = await call('PATCH', `${entities}/a`, { properties: { y: 2 } });
    expect(patched.status).toBe(200);
    expect(patched.body.entity).toMatchObject({ properties: { x: 1, y: 2 }, relations: { team: 't1' } });
    expect((await call('GET', `${entities}/a`)).body.entity).toMatchObject({ properties: { x: 1, y: 2 } });
    expect((await call('PATCH', `${entities}/a`, { properties: 'nope' })).status).toBe(422);
  });
});

describe('emulator: faults, latency and recording', () => {
  it('answers a scripted status with headers, a limited number of times', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { method: 'GET', path: /runs/ }, times: 2, respond: { status: 429, headers: { 'retry-after': '1' } } });

    const first = await call('GET', '/v1/actions/runs/r_1');
    const second = await call('GET', '/v1/actions/runs/r_1');
    const third = await call('GET', '/v1/actions/runs/r_1');

    expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(first.body).toMatchObject({ ok: false, error: 'too_many_requests' });
    expect(emu.faults).toHaveLength(0);
    expect(emu.requests.map((r) => r.fault)).toEqual(['status', 'status', undefined]);
  });

  it('only applies faults whose match fits', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { method: 'PATCH' }, respond: { status: 500 } });
    expect((await call('GET', '/v1/actions/runs/r_1')).status).toBe(200);
    expect(emu.faults).toHaveLength(1);
  });

  it('drops the connection without answering, before or after applying the request', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ match: { path: '/v1/actions/runs/r_1/logs' }, respond: { drop: true } });
    await expect(call('POST', '/v1/actions/runs/r_1/logs', { message: 'lost' })).rejects.toThrow();
    expect(emu.logs('r_1')).toHaveLength(0);

    emu.faults.push({ match: { path: '/v1/actions/runs/r_1/logs' }, respond: { drop: true, afterHandling: true } });
    await expect(call('POST', '/v1/actions/runs/r_1/logs', { message: 'applied', terminationStatus: 'SUCCESS' })).rejects.toThrow();
    expect(emu.logs('r_1').map((l) => l.message)).toEqual(['applied']);
    expect(emu.getRun('r_1')?.status).toBe('SUCCESS');
    expect(emu.requests.map((r) => [r.fault, r.status])).toEqual([
      ['drop', undefined],
      ['drop', undefined],
    ]);
  });

  it('delays by a fault and by global latency', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    emu.faults.push({ respond: { delayMs: 150 } });
    let started = Date.now();
    expect((await call('GET', '/v1/actions/runs/r_1')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    emu.latencyMs = 100;
    started = Date.now();
    await call('GET', '/v1/actions/runs/r_1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('records requests with the Authorization value and client secret masked', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    await call('POST', '/v1/auth/access_token', DEFAULT_EMULATOR_CLIENT, null);
    await call('PATCH', '/v1/actions/runs/r_1?version=v2', { statusLabel: 'x' });

    const [auth, patch] = emu.requests;
    expect(auth).toMatchObject({ method: 'POST', path: '/v1/auth/access_token', status: 200 });
    expect(auth?.body).toEqual({ clientId: DEFAULT_EMULATOR_CLIENT.clientId, clientSecret: '***' });
    expect(patch).toMatchObject({
      method: 'PATCH',
      path: '/v1/actions/runs/r_1',
      query: { version: 'v2' },
      body: { statusLabel: 'x' },
      status: 200,
    });
    expect(patch?.headers.authorization).toBe('Bearer ***');
    expect(JSON.stringify(emu.requests)).not.toContain(token);
    expect(JSON.stringify(emu.requests)).not.toContain(DEFAULT_EMULATOR_CLIENT.clientSecret);
  });

  it('answers 400 to invalid JSON, 404 to unknown routes and 413 over 1 MiB', async () => {
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const badJson = await call('PATCH', '/v1/actions/runs/r_1', '{not json');
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ ok: false, error: 'invalid_json' });

    const unknown = await call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ ok: false, error: 'not_found' });

    const big = await call('POST', '/v1/actions/runs/r_1/logs', { message: 'x'.repeat(1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.message).toBe('Request body is too large (limit is 1MiB)');
  });

  it('closes while a client still holds an open connection', async () => {
    const port = Number(new URL(emu.url).port);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

    await emu.close();
    await closed;
    emu = await startPortEmulator(); // afterEach closes this one
    expect(socket.destroyed).toBe(true);
  });
});
