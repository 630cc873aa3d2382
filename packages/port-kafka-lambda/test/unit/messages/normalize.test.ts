import { describe, expect, it } from '@jest/globals';
import { normalizeChange, normalizeRun } from '../../../src/messages/normalize.js';
import { RECOMMENDED_SCHEMA, recommendedPayloadTemplate } from '../../../src/messages/run.js';
import { loadEvent } from '../../../src/testing/factories.js';

const ok = <T>(r: { ok: true; value: T } | { ok: false; detail: string }): T => {
  if (!r.ok) throw new Error(`expected ok, got: ${r.detail}`);
  return r.value;
};

describe('normalizeRun', () => {
  it('reads a v1 message: action, run id, blueprint, inputs and trigger', () => {
    const run = ok(normalizeRun(loadEvent('v1-run-create-vm.json')));
    expect(run).toMatchObject({
      format: 'v1',
      runId: 'r_q2mGf9ZYkFRnZJjB',
      action: 'create_vm',
      blueprint: 'vm',
      entity: null,
      entityIdentifier: null,
      inputs: { cpu: 2, memory: 4, storage: 50, region: 'eu-west-1' },
      encryptedInputs: [],
    });
    expect(run.trigger.by.user?.email).toBe('dana@example.com');
    expect(run.trigger.origin).toBe('UI');
  });

  it('reads Port’s v2 backward-compatible rendering, where payload.action has no identifier', () => {
    const run = ok(normalizeRun(loadEvent('v2-compat-run-deploy-service.json')));
    expect(run).toMatchObject({ format: 'v2-compat', action: 'deploy_service', entityIdentifier: 'checkout', blueprint: 'service' });
    expect(run.entity?.relations).toEqual({ team: 'payments' });
  });

  it('reads the recommended template, including an automation’s event', () => {
    const run = ok(normalizeRun(loadEvent('automation-run-deploy-service.json')));
    expect(run).toMatchObject({ format: 'recommended', action: 'deploy_service', entityIdentifier: 'checkout' });
    expect(run.trigger.origin).toBe('AUTOMATION');
    expect(run.event).toMatchObject({ action: 'UPDATE' });
  });

  it('reads an empty-object entity as no entity', () => {
    const message = { ...loadEvent('recommended-run-create-vm.json'), entity: {} };
    expect(ok(normalizeRun(message)).entity).toBeNull();
  });

  it('names the path of what is wrong, without values', () => {
    const message = loadEvent<Record<string, unknown>>('v1-run-create-vm.json');
    (message.context as Record<string, unknown>).runId = 12345;
    const result = normalizeRun(message);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.detail).toMatch(/context\.runId/);
      expect(result.detail).not.toContain('12345');
    }
  });

  it('routes custom payloads through the user’s parser, and rejects them without one', () => {
    const custom = { runId: 'r_custom1', service: 'billing' };
    expect(normalizeRun(custom).ok).toBe(false);
    const run = ok(
      normalizeRun(custom, (v) => {
        const m = v as typeof custom;
        return typeof m.runId === 'string'
          ? {
              runId: m.runId,
              action: 'restart_service',
              blueprint: null,
              entity: null,
              entityIdentifier: null,
              inputs: { service: m.service },
              encryptedInputs: [],
              trigger: { by: {} },
              format: 'custom',
            }
          : undefined;
      })
    );
    expect(run).toMatchObject({ format: 'custom', action: 'restart_service', inputs: { service: 'billing' } });
  });

  it('ships a template whose fields are the ones the schema reads', () => {
    const template = recommendedPayloadTemplate();
    expect(template.type).toBe('KAFKA');
    expect(template.payload.schema).toBe(RECOMMENDED_SCHEMA);
    expect(Object.keys(template.payload)).toEqual(
      expect.arrayContaining(['runId', 'action', 'blueprint', 'entity', 'inputs', 'encryptedInputs', 'trigger'])
    );
    expect(recommendedPayloadTemplate('nightly_cleanup').payload.action).toBe('nightly_cleanup');
  });
});

describe('normalizeChange', () => {
  it.each(['change-entity-create.json', 'change-entity-update.json', 'change-entity-delete.json', 'edge-cases/change-timer-expired.json'])(
    'reads %s',
    (file) => {
      const change = ok(normalizeChange(loadEvent(file)));
      expect(change.resourceType).toBe('entity');
      expect(['CREATE', 'UPDATE', 'DELETE', 'TIMER_EXPIRED']).toContain(change.action);
    }
  );

  it('upper-cases mixed-case actions as port-agent fixtures spell them', () => {
    expect(ok(normalizeChange(loadEvent('edge-cases/change-webhook-destination.json'))).action).toBe('CREATE');
  });

  it('keeps diff.before and diff.after', () => {
    const change = ok(normalizeChange(loadEvent('change-entity-update.json')));
    expect((change.diff.after as { properties: { free_storage: number } }).properties.free_storage).toBe(0.5);
    expect(change.diff.before).toBeDefined();
  });
});
