import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { createActionRegistry } from '../../src/actions/registry.js';
import { defineApp } from '../../src/app.js';
import { AutomationDefinitionError, defineAutomation } from '../../src/automations/define.js';
import type { PortAction } from '../../src/port/actions.js';
import { buildDefinitions, SyncDefinitionError } from '../../src/port-sync/definitions.js';
import { diffAction, updateBody } from '../../src/port-sync/diff.js';

const restart = defineAction({
  identifier: 'restart_service',
  blueprint: 'service',
  title: 'Restart',
  icon: 'Service',
  description: 'Restart a service',
  requiredApproval: { type: 'ANY' },
  inputs: z.object({ reason: z.string().min(1) }),
  async handler() {},
});
const scaffold = defineAction({
  identifier: 'scaffold',
  inputs: z.object({ name: z.string() }),
  async handler() {},
});

const problems = (fn: () => unknown): readonly string[] => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SyncDefinitionError);
    return (error as SyncDefinitionError).problems;
  }
  throw new Error('expected a SyncDefinitionError');
};

describe('action definitions', () => {
  it("builds Port's JSON: metadata, the self-service trigger with the form, and the Kafka backend naming the action", () => {
    const [body] = buildDefinitions(defineApp({ actions: [restart] })).map((d) => d.body);
    expect(body).toEqual({
      identifier: 'restart_service',
      title: 'Restart',
      description: 'Restart a service',
      icon: 'Service',
      trigger: {
        type: 'self-service',
        operation: 'DAY-2',
        blueprintIdentifier: 'service',
        userInputs: { properties: { reason: { type: 'string', minLength: 1 } }, required: ['reason'], order: ['reason'] },
      },
      invocationMethod: {
        type: 'KAFKA',
        payload: {
          schema: 'port-kafka-lambda/run@1',
          runId: '{{ .run.id }}',
          action: 'restart_service',
          blueprint: '{{ .action.blueprint }}',
          entity: '{{ if .entity == {} then null else .entity end }}',
          inputs: '{{ .inputs }}',
          encryptedInputs: '{{ .action.encryptedProperties }}',
          trigger: '{{ .trigger }}',
          event: '{{ .event }}',
        },
      },
      requiredApproval: { type: 'ANY' },
    });
  });

  it('defaults to CREATE without a blueprint and the identifier as title; writes the environment when given', () => {
    const [body] = buildDefinitions(defineApp({ actions: [scaffold] }), { environment: 'prod' }).map((d) => d.body);
    expect(body?.title).toBe('scaffold');
    expect(body?.trigger).toMatchObject({ type: 'self-service', operation: 'CREATE' });
    expect(body?.trigger).not.toHaveProperty('blueprintIdentifier');
    expect(body?.invocationMethod.payload).toMatchObject({ environment: 'prod' });
    // An action's own environment (e.g. JQ over an input) wins over the command's.
    const routed = defineAction({ ...scaffold, environment: '{{ .inputs.target }}' });
    expect(buildDefinitions(defineApp({ actions: [routed] }), { environment: 'prod' })[0]?.body.invocationMethod.payload).toMatchObject({
      environment: '{{ .inputs.target }}',
    });
  });

  it('lists every problem at once, before anything is sent', () => {
    const orphan = defineAction({ identifier: 'orphan_day2', operation: 'DAY-2', inputs: z.object({}), async handler() {} });
    const bad = defineAction({ identifier: 'bad', inputs: z.object({ when: z.date() }), async handler() {} });
    expect(problems(() => buildDefinitions(defineApp({ actions: [orphan, bad, restart, { ...restart, aliases: ['x'] }] })))).toEqual([
      'orphan_day2: a DAY-2 action needs a blueprint (the entity it runs on)',
      'bad: inputs.when: z.date() cannot be a Port user input (use z.iso.datetime() for a date-time input)',
      'restart_service: defined twice (action and action); Port holds one action or automation per identifier',
    ]);
  });

  it('leaves actions marked sync: false alone', () => {
    const managedElsewhere = defineAction({ ...scaffold, sync: false });
    expect(buildDefinitions(defineApp({ actions: [managedElsewhere, restart] })).map((d) => d.identifier)).toEqual(['restart_service']);
  });
});

describe('automation definitions', () => {
  const onIncident = defineAutomation({
    identifier: 'restart_on_incident',
    title: 'Restart on incident',
    trigger: { event: 'ENTITY_CREATED', blueprint: 'incident' },
    condition: { expressions: ['.diff.after.properties.severity == "high"', '.diff.after.properties.auto'], combinator: 'or' },
    action: restart,
    inputs: { reason: 'incident {{ .event.context.entityIdentifier }}' },
  });

  it('builds the automation trigger, its JQ condition, and a payload naming the automation literally', () => {
    const definitions = buildDefinitions(defineApp({ actions: [restart], automations: [onIncident] }));
    expect(definitions.map((d) => `${d.kind} ${d.identifier}`)).toEqual(['action restart_service', 'automation restart_on_incident']);
    const body = definitions[1]?.body;
    expect(body?.trigger).toEqual({
      type: 'automation',
      event: { type: 'ENTITY_CREATED', blueprintIdentifier: 'incident' },
      condition: {
        type: 'JQ',
        expressions: ['.diff.after.properties.severity == "high"', '.diff.after.properties.auto'],
        combinator: 'or',
      },
    });
    expect(body?.invocationMethod.payload).toMatchObject({
      action: 'restart_on_incident',
      blueprint: '{{ .event.context.blueprintIdentifier }}',
      entity: '{{ .event.diff.after // .event.diff.before }}',
      inputs: { reason: 'incident {{ .event.context.entityIdentifier }}' },
      encryptedInputs: [],
      event: '{{ .event }}',
    });
  });

  it('maps timer and run triggers, and a one-expression condition', () => {
    const timer = defineAutomation({
      identifier: 'ttl_expired',
      trigger: { event: 'TIMER_PROPERTY_EXPIRED', blueprint: 'environment', property: 'ttl' },
      action: 'scaffold',
    });
    const afterRun = defineAutomation({
      identifier: 'after_restart',
      trigger: { event: 'RUN_UPDATED', action: 'restart_service' },
      condition: '.diff.after.status == "FAILURE"',
      action: scaffold,
    });
    const [, , t, r] = buildDefinitions(defineApp({ actions: [restart, scaffold], automations: [timer, afterRun] })).map((d) => d.body);
    expect(t?.trigger).toEqual({
      type: 'automation',
      event: { type: 'TIMER_PROPERTY_EXPIRED', blueprintIdentifier: 'environment', propertyIdentifier: 'ttl' },
    });
    expect(r?.trigger).toEqual({
      type: 'automation',
      event: { type: 'RUN_UPDATED', actionIdentifier: 'restart_service' },
      condition: { type: 'JQ', expressions: ['.diff.after.status == "FAILURE"'], combinator: 'and' },
    });
    // A run event has no entity to send.
    expect(r?.invocationMethod.payload).toMatchObject({ blueprint: null, entity: null, inputs: {} });
  });

  it("routes the automation's identifier to its action in the handler's registry", () => {
    const app = defineApp({ actions: [restart, scaffold], automations: [onIncident] });
    expect(createActionRegistry(app.actions).resolve('restart_on_incident', 'incident')?.identifier).toBe('restart_service');
    // The action given to defineApp is not changed in place.
    expect(restart.aliases).toBeUndefined();
  });

  it('refuses a bad trigger, and an automation running an action the app does not have', () => {
    expect(() => defineAutomation({ identifier: 'x', trigger: { event: 'ENTITY_CREATED' } as never, action: 'scaffold' })).toThrow(
      AutomationDefinitionError
    );
    expect(() => defineAutomation({ identifier: 'x', trigger: { event: 'ENTITY_CREATED' } as never, action: 'scaffold' })).toThrow(
      'automation "x": trigger.blueprint: Invalid input: expected string, received undefined'
    );
    expect(() => defineApp({ actions: [scaffold], automations: [onIncident] })).toThrow(
      'automation "restart_on_incident" runs action "restart_service", which is not in the app\'s actions'
    );
  });
});

describe('diff against what Port has', () => {
  const [desired] = buildDefinitions(defineApp({ actions: [restart] })).map((d) => d.body);
  if (desired === undefined) throw new Error('no definition');
  const inPort = (overrides: Record<string, unknown>): PortAction =>
    ({ ...structuredClone(desired), id: 'action_1', createdAt: 'x', updatedBy: 'y', ...overrides }) as PortAction;

  it('sees no difference in audit fields, null for absent, or an empty required list', () => {
    const trigger = structuredClone(desired.trigger) as { userInputs: Record<string, unknown> };
    const current = inPort({ icon: 'Service', publish: true, approvalNotification: { type: 'email' }, trigger });
    expect(diffAction(current, desired)).toEqual([]);
    const noDescription = { ...desired, description: undefined };
    expect(diffAction(inPort({ description: null }), noDescription)).toEqual([]);
  });

  it('lists changed, added and removed fields by path', () => {
    const current = inPort({ title: 'Old', requiredApproval: false });
    const trigger = structuredClone(desired.trigger) as { userInputs: { properties: Record<string, unknown> } };
    trigger.userInputs.properties.extra = { type: 'boolean' };
    current.trigger = trigger as unknown as PortAction['trigger'];
    expect(diffAction(current, desired)).toEqual([
      { path: 'title', kind: 'changed', before: 'Old', after: 'Restart' },
      { path: 'trigger.userInputs.properties.extra', kind: 'removed', before: { type: 'boolean' } },
      { path: 'requiredApproval', kind: 'changed', before: false, after: { type: 'ANY' } },
    ]);
  });

  it('carries over the settings the code does not set when replacing', () => {
    const current = inPort({ approvalNotification: { type: 'webhook', url: 'https://x' }, allowAnyoneToViewRuns: true, publish: false });
    const body = updateBody(current, desired);
    expect(body).toMatchObject({
      approvalNotification: { type: 'webhook', url: 'https://x' },
      allowAnyoneToViewRuns: true,
      publish: false,
    });
    expect(body).not.toHaveProperty('createdAt');
    // What the code sets wins.
    expect(updateBody(inPort({ requiredApproval: false }), desired).requiredApproval).toEqual({ type: 'ANY' });
  });
});
