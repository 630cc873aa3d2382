import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import type { PortActionBody } from '../../src/port/actions.js';
import { createPortClient, type PortClient } from '../../src/port/client.js';
import { PortApiError } from '../../src/port/errors.js';

/**
 * The client's catalog and action calls against the emulator over HTTP:
 * bulk upsert (chunks of 20, 207 partial results), delete, search, blueprints,
 * and the action/automation routes `port sync` uses, with Port's status codes.
 */

let emu: PortEmulator;
let port: PortClient;

beforeEach(async () => {
  emu = await startPortEmulator();
  port = createPortClient({
    baseUrl: emu.url,
    credentials: async () => ({ ...DEFAULT_EMULATOR_CLIENT }),
    retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 10, budgetMs: 2_000 },
  });
});

afterEach(async () => {
  port.close();
  await emu.close();
});

const apiCalls = (path: RegExp) => emu.requests.filter((r) => path.test(r.path));

const rejection = async (promise: Promise<unknown>): Promise<PortApiError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PortApiError);
    return error as PortApiError;
  }
  throw new Error('expected a PortApiError');
};

const vms = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({ identifier: `vm-${from + i}`, properties: { cpu_cores: from + i } }));

describe('bulk entity upsert', () => {
  it('splits a long list into calls of at most 20 and reports every entity by its index in the list given', async () => {
    const result = await port.bulkUpsertEntities('vm', vms(45));
    const calls = apiCalls(/\/entities\/bulk$/);
    expect(calls.map((c) => (c.body as { entities: unknown[] }).entities.length)).toEqual([20, 20, 5]);
    expect(calls[0]?.query).toEqual({ upsert: 'true', merge: 'true' });
    expect(result.ok).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.entities.map((e) => e.index)).toEqual(Array.from({ length: 45 }, (_, i) => i));
    expect(result.entities.every((e) => e.created)).toBe(true);
    expect(emu.entities.get('vm/vm-44')?.properties).toEqual({ cpu_cores: 44 });
  });

  it('returns a 207 partial answer as a result, not a throw: written and refused entities side by side', async () => {
    emu.addBlueprint({ identifier: 'vm', schema: { properties: { cpu_cores: { type: 'number' } }, required: [] } });
    const entities = vms(25);
    // The 24th entity (second call, index 3 in it) has a string where the blueprint says number.
    entities[23] = { identifier: 'vm-23', properties: { cpu_cores: 'many' as unknown as number } };
    const result = await port.bulkUpsertEntities('vm', entities);
    expect(apiCalls(/\/entities\/bulk$/).map((c) => c.status)).toEqual([200, 207]);
    expect(result.ok).toBe(false);
    expect(result.entities).toHaveLength(24);
    expect(result.errors).toEqual([
      {
        identifier: 'vm-23',
        index: 23,
        statusCode: 422,
        error: 'invalid_request',
        message: 'properties.cpu_cores: expected number, got string',
      },
    ]);
    expect(emu.entities.has('vm/vm-23')).toBe(false);
    expect(emu.entities.has('vm/vm-24')).toBe(true);
  });

  it('sends relations, run_id and create_missing_related_entities; an update reports created: false', async () => {
    const run = emu.createRun({ action: 'create_vm' });
    await port.bulkUpsertEntities('vm', [{ identifier: 'vm-1', properties: {}, relations: { cluster: 'c-1' } }], {
      runId: run.id,
      createMissingRelatedEntities: true,
    });
    const again = await port.bulkUpsertEntities('vm', [{ identifier: 'vm-1', relations: { cluster: 'c-2' } }]);
    expect(apiCalls(/\/entities\/bulk$/)[0]?.query).toEqual({
      upsert: 'true',
      merge: 'true',
      create_missing_related_entities: 'true',
      run_id: run.id,
    });
    expect(again.entities).toEqual([{ identifier: 'vm-1', index: 0, created: false }]);
    expect(emu.entities.get('vm/vm-1')?.relations).toEqual({ cluster: 'c-2' });
    expect(emu.entitiesOfRun(run.id)).toEqual(['vm/vm-1']);
  });

  it('throws when Port refuses the call itself (more than 20 is split, so: a refused body)', async () => {
    emu.faults.push({ match: { path: /\/bulk$/ }, respond: { status: 422 } });
    const error = await rejection(port.bulkUpsertEntities('vm', vms(2)));
    expect(error.status).toBe(422);
  });
});

describe('entity delete and search', () => {
  beforeEach(async () => {
    await port.bulkUpsertEntities('cluster', [{ identifier: 'c-1', properties: { region: 'eu-west-1' } }]);
    await port.bulkUpsertEntities('vm', [
      { identifier: 'vm-a', title: 'A', properties: { region: 'eu-west-1', cpu_cores: 2 }, relations: { cluster: 'c-1' } },
      { identifier: 'vm-b', title: 'B', properties: { region: 'us-east-1', cpu_cores: 8 } },
      { identifier: 'vm-c', title: 'C', properties: { region: 'eu-west-1', cpu_cores: 16 } },
    ]);
  });

  it('deletes an entity; a missing one is a 404; one with dependents needs delete_dependents', async () => {
    await port.deleteEntity('vm', 'vm-b');
    expect(emu.entities.has('vm/vm-b')).toBe(false);
    expect((await rejection(port.deleteEntity('vm', 'vm-b'))).status).toBe(404);
    const refused = await rejection(port.deleteEntity('cluster', 'c-1'));
    expect(refused.status).toBe(422);
    expect(refused.portError).toBe('has_dependents');
    await port.deleteEntity('cluster', 'c-1', { deleteDependents: true });
    expect(emu.entities.has('cluster/c-1')).toBe(false);
    expect(emu.entities.has('vm/vm-a')).toBe(false);
    expect(apiCalls(/\/entities\/c-1$/).at(-1)?.query).toEqual({ delete_dependents: 'true' });
  });

  it("searches across blueprints and within one, with Port's rule shape and paging", async () => {
    const eu = await port.searchEntities({
      combinator: 'and',
      rules: [{ property: 'region', operator: '=', value: 'eu-west-1' }],
    });
    expect(eu.map((e) => e.identifier).sort()).toEqual(['c-1', 'vm-a', 'vm-c']);
    const big = await port.searchEntities(
      {
        combinator: 'or',
        rules: [
          { property: 'cpu_cores', operator: '>=', value: 8 },
          { property: '$identifier', operator: '=', value: 'vm-a' },
        ],
      },
      { blueprint: 'vm', limit: 2 }
    );
    expect(big.map((e) => e.identifier)).toEqual(['vm-a', 'vm-b']);
    expect(apiCalls(/\/v1\/blueprints\/vm\/entities\/search$/)[0]?.body).toEqual({
      query: {
        combinator: 'or',
        rules: [
          { property: 'cpu_cores', operator: '>=', value: 8 },
          { property: '$identifier', operator: '=', value: 'vm-a' },
        ],
      },
      limit: 2,
    });
  });

  it('answers 422 for a search it cannot evaluate rather than a wrong list', async () => {
    const error = await rejection(
      port.searchEntities({ combinator: 'and', rules: [{ operator: 'relatedTo', blueprint: 'cluster', value: 'c-1' }] })
    );
    expect(error.status).toBe(422);
  });
});

describe('blueprints', () => {
  it('reads a registered blueprint and answers 404 for an unknown one', async () => {
    emu.addBlueprint({ identifier: 'service', title: 'Service', schema: { properties: { tier: { type: 'string' } }, required: ['tier'] } });
    const blueprint = await port.getBlueprint('service');
    expect(blueprint.schema.properties).toEqual({ tier: { type: 'string' } });
    expect(blueprint.schema.required).toEqual(['tier']);
    expect((await rejection(port.getBlueprint('nope'))).status).toBe(404);
  });

  it('checks single entity writes against a registered blueprint too', async () => {
    emu.addBlueprint({ identifier: 'service', schema: { properties: { tier: { type: 'string' } }, required: ['tier'] } });
    expect((await rejection(port.upsertEntity('service', { identifier: 's', properties: {} }))).portMessage).toBe(
      'properties.tier: required by blueprint "service"'
    );
    expect((await rejection(port.upsertEntity('service', { identifier: 's', properties: { tier: 1, x: 'y' } }))).portMessage).toBe(
      'properties.tier: expected string, got number; properties.x: not a property of blueprint "service"'
    );
    await port.upsertEntity('service', { identifier: 's', properties: { tier: 'gold' } });
    // A merge may leave required properties out: they are already there.
    await port.upsertEntity('service', { identifier: 's', title: 'S' });
    expect(emu.entities.get('service/s')?.properties).toEqual({ tier: 'gold' });
  });
});

describe('actions and automations', () => {
  const action: PortActionBody = {
    identifier: 'restart_service',
    title: 'Restart',
    trigger: {
      type: 'self-service',
      operation: 'DAY-2',
      blueprintIdentifier: 'service',
      userInputs: { properties: { reason: { type: 'string', minLength: 1 } }, required: ['reason'], order: ['reason'] },
    },
    invocationMethod: { type: 'KAFKA', payload: { runId: '{{ .run.id }}' } },
  };

  it('finds nothing (404 → undefined), creates (201), refuses a second create (409), replaces on update', async () => {
    expect(await port.findAction('restart_service')).toBeUndefined();
    const created = await port.createAction(action);
    expect(created.identifier).toBe('restart_service');
    expect(apiCalls(/^\/v1\/actions$/).map((c) => c.status)).toEqual([201]);
    expect((await rejection(port.createAction(action))).status).toBe(409);
    const { title: _title, ...untitled } = action;
    await port.updateAction('restart_service', { ...untitled, description: 'Now described' });
    const found = await port.findAction('restart_service');
    expect(found?.description).toBe('Now described');
    // PUT replaces: the title the body left out is gone.
    expect(found?.title).toBeUndefined();
    expect(found?.createdBy).toBe(DEFAULT_EMULATOR_CLIENT.clientId);
  });

  it("answers 404 to updating an unknown action and 422 to a body Port's schema refuses", async () => {
    expect((await rejection(port.updateAction('ghost', { ...action, identifier: 'ghost' }))).status).toBe(404);
    const bad = {
      ...action,
      trigger: { ...action.trigger, userInputs: { properties: { when: { type: 'date' } } } },
    } as unknown as PortActionBody;
    const error = await rejection(port.createAction(bad));
    expect(error.status).toBe(422);
    expect(error.portMessage).toMatch(/^trigger\.userInputs\.properties\.when\.type: /);
  });

  it('keeps automations on the same route, told apart by trigger.type', async () => {
    await port.createAction(action);
    await port.createAction({
      identifier: 'restart_on_incident',
      trigger: {
        type: 'automation',
        event: { type: 'ENTITY_CREATED', blueprintIdentifier: 'incident' },
        condition: { type: 'JQ', expressions: ['.diff.after.properties.severity == "high"'], combinator: 'and' },
      },
      invocationMethod: { type: 'KAFKA', payload: { action: 'restart_on_incident' } },
    });
    expect((await port.findAction('restart_on_incident'))?.trigger.type).toBe('automation');
    expect([...emu.actions.keys()]).toEqual(['restart_service', 'restart_on_incident']);
  });
});
