import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../../src/actions/define.js';
import { createActionRegistry, DuplicateActionError } from '../../../src/actions/registry.js';
import { matchesChange } from '../../../src/changes/define.js';
import { foreignChange, foreignRun } from '../../../src/routing/ownership.js';
import { topicKind } from '../../../src/routing/topics.js';
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
