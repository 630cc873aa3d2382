import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { createPortClient, type PortClient } from '../../src/port/client.js';
import { PortApiError } from '../../src/port/errors.js';

let emu: PortEmulator;
let port: PortClient;

beforeEach(async () => {
  emu = await startPortEmulator();
  port = createPortClient({
    baseUrl: emu.url,
    credentials: async () => DEFAULT_EMULATOR_CLIENT,
    retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
});

afterEach(async () => {
  port.close();
  await emu.close();
});

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe('GET /v1/actions/runs through the client', () => {
  it('ANDs action and active, answers newest first, and pages with next until it is absent', async () => {
    // Prepare: three runs of deploy (one ended), one of another action
    emu.createRun({ id: 'r_old', action: 'deploy', createdAt: minutesAgo(30) });
    emu.createRun({ id: 'r_mid', action: 'deploy', createdAt: minutesAgo(20) });
    emu.createRun({ id: 'r_new', action: 'deploy', createdAt: minutesAgo(10) });
    emu.createRun({ id: 'r_done', action: 'deploy', status: 'SUCCESS', createdAt: minutesAgo(5) });
    emu.createRun({ id: 'r_other', action: 'scale', createdAt: minutesAgo(1) });

    // Act
    const first = await port.listRuns({ action: 'deploy', active: true, limit: 2 });
    const second = await port.listRuns({ action: 'deploy', active: true, limit: 2, ...(first.next ? { next: first.next } : {}) });
    const ended = await port.listRuns({ action: 'deploy', active: false });

    // Assess
    expect(first.runs.map((r) => r.id)).toEqual(['r_new', 'r_mid']);
    expect(first.next).toEqual(expect.any(String));
    expect(second.runs.map((r) => r.id)).toEqual(['r_old']);
    expect(second.next).toBeUndefined();
    expect(ended.runs.map((r) => r.id)).toEqual(['r_done']);
    expect(first.runs[0]).toMatchObject({ action: { identifier: 'deploy' }, status: 'IN_PROGRESS', createdAt: expect.any(String) });
    const listing = emu.requests.filter((r) => r.path === '/v1/actions/runs');
    expect(listing[0]?.query).toEqual({ version: 'v2', action: 'deploy', active: 'true', limit: '2' });
    expect(listing[1]?.query).toMatchObject({ next: first.next });
  });

  it('continues after the last run answered even when the runs of the first page ended in between', async () => {
    emu.createRun({ id: 'r_a', action: 'deploy', createdAt: minutesAgo(3) });
    emu.createRun({ id: 'r_b', action: 'deploy', createdAt: minutesAgo(2) });
    emu.createRun({ id: 'r_c', action: 'deploy', createdAt: minutesAgo(1) });

    const first = await port.listRuns({ action: 'deploy', active: true, limit: 2 });
    for (const run of first.runs) await port.updateRun(run.id, { status: 'FAILURE' });
    const second = await port.listRuns({ action: 'deploy', active: true, limit: 2, ...(first.next ? { next: first.next } : {}) });

    expect(first.runs.map((r) => r.id)).toEqual(['r_c', 'r_b']);
    expect(second.runs.map((r) => r.id)).toEqual(['r_a']);
    expect(second.next).toBeUndefined();
  });

  it('refuses a limit outside 1..1000 and a token it did not issue with 422', async () => {
    const tooMany = await port.listRuns({ limit: 1001 }).catch((error: unknown) => error);
    const forged = await port.listRuns({ next: 'bm90LWEtbnVtYmVy' }).catch((error: unknown) => error);

    expect(tooMany).toBeInstanceOf(PortApiError);
    expect((tooMany as PortApiError).status).toBe(422);
    expect((tooMany as PortApiError).message).toContain('limit');
    expect((forged as PortApiError).status).toBe(422);
  });
});

describe('emulator: fault policy and the endings log', () => {
  it('asks the policy about every request no scripted fault matched, and logs each accepted ending once', async () => {
    // Prepare: the policy drops the first PATCH after applying it; a scripted 503 goes first
    emu.createRun({ id: 'r_1', action: 'deploy' });
    const asked: string[] = [];
    let dropped = false;
    emu.faultPolicy = ({ method, path }) => {
      asked.push(`${method} ${path}`);
      if (method === 'PATCH' && !dropped) {
        dropped = true;
        return { drop: true, afterHandling: true };
      }
      return undefined;
    };
    emu.faults.push({ match: { method: 'PATCH' }, respond: { status: 503 } });

    // Act: 503 (scripted), dropped after handling (policy), then 422 already ended
    const outcome = await port.updateRun('r_1', { status: 'SUCCESS', summary: 'done' }).catch((error: unknown) => error);

    // Assess
    expect(emu.requests.filter((r) => r.method === 'PATCH').map((r) => [r.fault, r.status])).toEqual([
      ['status', 503],
      ['drop', undefined],
      [undefined, 422],
    ]);
    expect(asked.filter((a) => a.startsWith('PATCH'))).toHaveLength(2);
    expect(outcome).toBeInstanceOf(PortApiError);
    expect(emu.getRun('r_1')).toMatchObject({ status: 'SUCCESS', summary: 'done' });
    expect(emu.endings).toEqual([{ runId: 'r_1', status: 'SUCCESS', via: 'patch', at: expect.any(Number) }]);
  });
});
