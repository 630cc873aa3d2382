import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../../src/actions/define.js';
import { createActionRegistry, DuplicateActionError } from '../../../src/actions/registry.js';
import { defineChangeHandler, effectiveMatch, matchesChange } from '../../../src/changes/define.js';
import { ChangeEntityError, changeFor } from '../../../src/changes/entity.js';
import { normalizeChange } from '../../../src/messages/normalize.js';
import { topicKind } from '../../../src/port/kafka.js';
import { foreignChange, foreignRun } from '../../../src/routing/ownership.js';
import { loadEvent } from '../../../src/testing/factories.js';

const action = (identifier: string, extra: { blueprint?: string; aliases?: string[] } = {}) =>
  defineAction({ identifier, ...extra, inputs: z.object({}), handler: async () => undefined });

describe('topicKind', () => {
  it.each([
    ['org_abc.runs', undefined, 'runs'],
    ['org_abc.change.log', undefined, 'change.log'],
    ['org_abc.runs', 'org_abc', 'runs'],
    ['org_xyz.runs', 'org_abc', undefined],
    ['.runs', undefined, undefined],
    ['org_abc.other', undefined, undefined],
  ])('classifies %s (org %s) as %s', (topic, org, kind) => {
    expect(topicKind(topic, org)).toBe(kind);
  });
});

describe('ownership', () => {
  it('recognises runs of other consumers on the runs topic', () => {
    expect(foreignRun(loadEvent('edge-cases/agent-webhook-run.json'))).toBe('agent-run');
    expect(foreignRun(loadEvent('edge-cases/workflow-node-run.json'))).toBe('workflow-node-run');
    expect(foreignRun(loadEvent('v1-run-create-vm.json'))).toBeUndefined();
  });

  it('recognises change-log entries bound for a webhook', () => {
    expect(foreignChange(loadEvent('edge-cases/change-webhook-destination.json'))).toBe('non-kafka-change-destination');
    expect(foreignChange(loadEvent('change-entity-update.json'))).toBeUndefined();
    expect(foreignChange(loadEvent('edge-cases/change-timer-expired.json'))).toBeUndefined();
  });
});

describe('action registry', () => {
  const createVm = action('create_vm', { blueprint: 'vm' });
  const deploy = action('service_deploy', { aliases: ['deploy'] });
  const registry = createActionRegistry([createVm, deploy]);

  it('resolves identifiers, aliases and the <blueprint>_ prefixed and stripped forms', () => {
    expect(registry.resolve('create_vm', null)).toBe(createVm);
    expect(registry.resolve('vm_create_vm', null)).toBe(createVm);
    expect(registry.resolve('vm_create_vm', 'vm')).toBe(createVm);
    expect(registry.resolve('deploy', null)).toBe(deploy);
    expect(registry.resolve('deploy', 'service')).toBe(deploy);
    expect(registry.resolve('unknown', 'vm')).toBeUndefined();
  });

  it('lists every routable identifier for event filters', () => {
    expect(registry.identifiers().sort()).toEqual(['create_vm', 'deploy', 'service_deploy', 'vm_create_vm']);
  });

  it('refuses two actions with one identifier', () => {
    expect(() => createActionRegistry([action('x'), action('x')])).toThrow(DuplicateActionError);
  });
});

describe('matchesChange', () => {
  const change = { action: 'UPDATE', resourceType: 'entity', context: { blueprint: 'vm' }, trigger: { by: {} }, diff: {} };
  it.each([
    [{}, true],
    [{ resourceType: 'entity', blueprint: 'vm', action: 'update' }, true],
    [{ blueprint: ['service', 'vm'] }, true],
    [{ blueprint: 'service' }, false],
    [{ action: ['CREATE', 'DELETE'] }, false],
    [{ resourceType: 'run' }, false],
  ])('match %j → %s', (match, expected) => {
    expect(matchesChange(match, change)).toBe(expected);
  });
});

describe('change handler entity schema', () => {
  const Vm = z.object({ identifier: z.string(), properties: z.object({ cpu: z.number().int(), tier: z.string().default('standard') }) });
  const withEntity = defineChangeHandler({ identifier: 'typed', match: { blueprint: 'vm' }, entity: Vm, handler: async () => {} });
  const untyped = defineChangeHandler({ identifier: 'untyped', match: { blueprint: 'vm' }, handler: async () => {} });
  const change = (diff: Record<string, unknown>) => {
    const normalized = normalizeChange({
      action: 'UPDATE',
      resourceType: 'entity',
      context: { blueprint: 'vm' },
      trigger: { by: {} },
      diff,
    });
    if (!normalized.ok) throw new Error(normalized.detail);
    return normalized.value;
  };

  it('narrows an open resourceType to entities, and only then', () => {
    expect(effectiveMatch(withEntity)).toEqual({ blueprint: 'vm', resourceType: 'entity' });
    expect(effectiveMatch({ ...withEntity, match: { resourceType: 'run' } })).toEqual({ resourceType: 'run' });
    expect(effectiveMatch(untyped)).toBe(untyped.match);
  });

  it("hands over the schema's output for each side, null for a missing one", () => {
    const typed = changeFor(withEntity, change({ after: { identifier: 'vm-1', properties: { cpu: 2 }, title: 'kept?' } }));
    expect(typed.diff).toEqual({ before: null, after: { identifier: 'vm-1', properties: { cpu: 2, tier: 'standard' } } });
    expect(typed.resourceType).toBe('entity');
  });

  it('leaves the diff as sent when no schema is declared, missing sides as null', () => {
    const after = { identifier: 'vm-1', anything: [1] };
    expect(changeFor(untyped, change({ after })).diff).toEqual({ before: null, after });
  });

  it('names every failing field of both sides, never a value', () => {
    const bad = change({
      before: { identifier: 7, properties: { cpu: 2 } },
      after: { identifier: 'vm-1', properties: { cpu: 'two-secret' } },
    });
    let error: unknown;
    try {
      changeFor(withEntity, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChangeEntityError);
    const mismatch = error as ChangeEntityError;
    expect(mismatch.handler).toBe('typed');
    expect(mismatch.fields).toEqual(['diff.before.identifier', 'diff.after.properties.cpu']);
    expect(mismatch.message).toBe(
      'The change does not fit the entity schema of change handler "typed": ' +
        'diff.before.identifier: Invalid input: expected string, received number; ' +
        'diff.after.properties.cpu: Invalid input: expected number, received string'
    );
    expect(mismatch.message).not.toContain('two-secret');
    expect(mismatch.cause).toBeInstanceOf(Array);
  });

  it('lists at most five fields and counts the rest', () => {
    const Wide = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string(), f: z.string(), g: z.string() });
    const handler = defineChangeHandler({ identifier: 'wide', match: {}, entity: Wide, handler: async () => {} });
    expect(() => changeFor(handler, change({ after: {} }))).toThrow(/diff\.after\.e: [^;]+; and 2 more$/);
  });
});
