import * as z from 'zod';
import { AutomationTriggerSchema, KafkaInvocationSchema, SelfServiceTriggerSchema } from '../port/actions.js';
import { RunStatus } from '../port/types.js';
import { issueLines } from '../validation.js';
import { ErrorCode, fail, type PortEmulatorStore, type Reply } from './store.js';
import type { EmulatorAction, EmulatorBlueprint, EmulatorEntity } from './types.js';

/**
 * The emulator's actions, automations and blueprints, and the catalog routes
 * beyond one entity: bulk upsert, search, delete. Entities live in the main
 * store (one map for every route); this module adds the rules of these routes.
 *
 * Emulator choices where Port's docs are silent (also in README.md):
 * - a registered blueprint (`addBlueprint`) makes entity writes (single and
 *   bulk) check its properties: unknown property, wrong JSON type or a missing
 *   required property → 422 `invalid_request`; with no blueprint registered
 *   anything goes, as before;
 * - a bulk call answers 207 when any entity failed, 200 otherwise;
 * - deleting an entity that others relate to needs `delete_dependents=true`,
 *   else 422 `has_dependents`;
 * - actions are not checked against blueprints (Port's UI does; its API's
 *   behaviour for a missing blueprint is not documented).
 */

const ActionBody = z.strictObject({
  identifier: z.string().regex(/^(?!\.{1,2}$)[\p{L}0-9@_.+:=-]+$/u, 'invalid identifier'),
  title: z.string().optional(),
  description: z.string().optional(),
  icon: z.string().optional(),
  // By `type`, so a refusal names the field inside the trigger, not just "trigger".
  trigger: z.discriminatedUnion('type', [SelfServiceTriggerSchema, AutomationTriggerSchema]),
  // Port takes every backend type; the emulator checks Kafka's shape and keeps the others as sent.
  invocationMethod: z.union([KafkaInvocationSchema, z.looseObject({ type: z.string().refine((t) => t !== 'KAFKA') })]),
  requiredApproval: z.union([z.boolean(), z.strictObject({ type: z.enum(['ANY', 'ALL']) })]).optional(),
  approvalNotification: z.looseObject({ type: z.string() }).optional(),
  publish: z.boolean().optional(),
  allowAnyoneToViewRuns: z.boolean().optional(),
});

const BulkBody = z.strictObject({
  entities: z.array(z.record(z.string(), z.unknown())).min(1).max(20),
});

const Rule: z.ZodType<SearchRule> = z.lazy(() =>
  z.union([
    z.looseObject({ combinator: z.enum(['and', 'or']), rules: z.array(Rule) }),
    z.looseObject({ property: z.string(), operator: z.string(), value: z.unknown().optional() }),
  ])
);
type SearchRule = { combinator: 'and' | 'or'; rules: SearchRule[] } | { property: string; operator: string; value?: unknown };
const QueryBody = z.looseObject({ combinator: z.enum(['and', 'or']), rules: z.array(Rule) });
const BlueprintSearchBody = z.strictObject({
  query: QueryBody,
  include: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  from: z.string().optional(),
});

/** Operators the emulator evaluates; Port has more (relatedTo, dates...), which answer 422 here. */
const OPERATORS = new Set([
  '=',
  '!=',
  'in',
  'notIn',
  'contains',
  'containsAny',
  'beginsWith',
  'endsWith',
  'isEmpty',
  'isNotEmpty',
  '>',
  '>=',
  '<',
  '<=',
]);

const invalid = (error: z.ZodError): Reply => fail(422, ErrorCode.INVALID_REQUEST, issueLines(error, { root: 'body' }).join('; '));

const jsonType = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
};

class PortCatalog {
  readonly actions = new Map<string, EmulatorAction>();
  readonly blueprints = new Map<string, EmulatorBlueprint>();

  constructor(
    private readonly store: PortEmulatorStore,
    private readonly now: () => number
  ) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  // ---- blueprints ---------------------------------------------------------

  addBlueprint(input: Pick<EmulatorBlueprint, 'identifier'> & Partial<EmulatorBlueprint>): EmulatorBlueprint {
    const at = this.iso();
    const blueprint: EmulatorBlueprint = {
      identifier: input.identifier,
      title: input.title ?? input.identifier,
      icon: input.icon ?? null,
      schema: { properties: input.schema?.properties ?? {}, required: input.schema?.required ?? [] },
      relations: input.relations ?? {},
      createdAt: at,
      updatedAt: at,
      createdBy: 'emulator',
      updatedBy: 'emulator',
    };
    this.blueprints.set(blueprint.identifier, blueprint);
    return blueprint;
  }

  getBlueprint(identifier: string): Reply {
    const blueprint = this.blueprints.get(identifier);
    if (!blueprint) return fail(404, ErrorCode.NOT_FOUND, `Blueprint with identifier "${identifier}" was not found`);
    return { status: 200, body: { ok: true, blueprint } };
  }

  /**
   * Checks an entity body against its blueprint when the emulator knows the
   * blueprint; undefined when it passes (or the blueprint is not registered).
   * `creating`: required properties must be present (an update may leave them out when merging).
   */
  checkEntity(blueprintId: string, body: unknown, creating: boolean): Reply | undefined {
    const blueprint = this.blueprints.get(blueprintId);
    if (!blueprint || typeof body !== 'object' || body === null) return undefined;
    const properties = (body as { properties?: unknown }).properties;
    const given = typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {};
    const problems: string[] = [];
    for (const [name, value] of Object.entries(given)) {
      const declared = blueprint.schema.properties[name];
      if (declared === undefined) {
        problems.push(`properties.${name}: not a property of blueprint "${blueprintId}"`);
        continue;
      }
      const type = typeof declared.type === 'string' ? declared.type : undefined;
      const actual = jsonType(value);
      if (value !== null && type !== undefined && actual !== type && !(type === 'number' && actual === 'number')) {
        problems.push(`properties.${name}: expected ${type}, got ${actual}`);
      }
    }
    if (creating) {
      for (const name of blueprint.schema.required) {
        if (!(name in given)) problems.push(`properties.${name}: required by blueprint "${blueprintId}"`);
      }
    }
    return problems.length === 0 ? undefined : fail(422, ErrorCode.INVALID_REQUEST, problems.join('; '));
  }

  // ---- bulk, search, delete ------------------------------------------------

  bulkUpsert(blueprint: string, body: unknown, query: Record<string, string>, clientId: string): Reply {
    const parsed = BulkBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    if (query.upsert === undefined) return fail(422, ErrorCode.INVALID_REQUEST, 'querystring.upsert: required');
    const entities: { identifier: string; index: number; created: boolean }[] = [];
    const errors: { identifier: string; index: number; statusCode: number; error: string; message: string }[] = [];
    for (const [index, entity] of parsed.data.entities.entries()) {
      const identifier = typeof entity.identifier === 'string' ? entity.identifier : '';
      const exists = this.store.entities.has(`${blueprint}/${identifier}`);
      const refusal = this.checkEntity(blueprint, entity, !exists || query.merge !== 'true');
      const reply = refusal ?? this.store.createEntity(blueprint, entity, query, clientId);
      if (reply.status === 200 || reply.status === 201) {
        const written = (reply.body as { entity: EmulatorEntity }).entity;
        entities.push({ identifier: written.identifier, index, created: reply.status === 201 });
      } else {
        const { error, message } = reply.body as { error: string; message: string };
        errors.push({ identifier, index, statusCode: reply.status, error, message });
      }
    }
    return { status: errors.length === 0 ? 200 : 207, body: { ok: errors.length === 0, entities, errors } };
  }

  deleteEntity(blueprint: string, identifier: string, query: Record<string, string>): Reply {
    const key = `${blueprint}/${identifier}`;
    if (!this.store.entities.has(key)) {
      return fail(404, ErrorCode.NOT_FOUND, `Entity "${identifier}" was not found in blueprint "${blueprint}"`);
    }
    const runId = query.run_id;
    if (runId !== undefined) {
      const run = this.store.runs.get(runId);
      if (!run) return fail(404, ErrorCode.NOT_FOUND, `Run with id "${runId}" was not found`);
      if (run.status !== RunStatus.IN_PROGRESS) {
        return fail(422, ErrorCode.RUN_ALREADY_ENDED, `Run "${run.id}" is ${run.status}, not ${RunStatus.IN_PROGRESS}`);
      }
    }
    const dependents = [...this.store.entities.entries()].filter(([k, e]) => k !== key && this.relatesTo(e, identifier));
    if (dependents.length > 0 && query.delete_dependents !== 'true') {
      const message = `Entity "${identifier}" has dependent entities (${dependents.map(([k]) => k).join(', ')}); set delete_dependents=true`;
      return { status: 422, body: { ok: false, error: 'has_dependents', message } };
    }
    this.store.entities.delete(key);
    for (const [k] of dependents) this.store.entities.delete(k);
    return { status: 200, body: { ok: true } };
  }

  private relatesTo(entity: EmulatorEntity, identifier: string): boolean {
    return Object.values(entity.relations).some((target) => (Array.isArray(target) ? target.includes(identifier) : target === identifier));
  }

  search(body: unknown): Reply {
    const parsed = QueryBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const unsupported = this.unsupportedOperator(parsed.data);
    if (unsupported) return unsupported;
    const entities = [...this.store.entities.values()].filter((e) => this.matches(e, parsed.data));
    return { status: 200, body: { ok: true, matchingBlueprints: [...new Set(entities.map((e) => e.blueprint))], entities } };
  }

  searchBlueprint(blueprint: string, body: unknown): Reply {
    const parsed = BlueprintSearchBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const unsupported = this.unsupportedOperator(parsed.data.query);
    if (unsupported) return unsupported;
    const all = [...this.store.entities.values()].filter((e) => e.blueprint === blueprint && this.matches(e, parsed.data.query));
    const start = parsed.data.from === undefined ? 0 : Number(parsed.data.from);
    const limit = parsed.data.limit ?? 200;
    const page = all.slice(start, start + limit);
    const next = start + limit < all.length ? String(start + limit) : undefined;
    return { status: 200, body: { ok: true, entities: page, ...(next === undefined ? {} : { next }) } };
  }

  private unsupportedOperator(rule: SearchRule): Reply | undefined {
    if ('rules' in rule) {
      for (const inner of rule.rules) {
        const found = this.unsupportedOperator(inner);
        if (found) return found;
      }
      return undefined;
    }
    return OPERATORS.has(rule.operator)
      ? undefined
      : fail(422, ErrorCode.INVALID_REQUEST, `operator "${rule.operator}" is not supported by the emulator`);
  }

  private valueOf(entity: EmulatorEntity, property: string): unknown {
    if (property === '$identifier') return entity.identifier;
    if (property === '$title') return entity.title;
    if (property === '$blueprint') return entity.blueprint;
    if (property === '$team') return entity.team;
    return property in entity.properties ? entity.properties[property] : entity.relations[property];
  }

  private matches(entity: EmulatorEntity, rule: SearchRule): boolean {
    if ('rules' in rule) {
      const results = rule.rules.map((r) => this.matches(entity, r));
      return rule.combinator === 'and' ? results.every(Boolean) : results.some(Boolean);
    }
    const actual = this.valueOf(entity, rule.property);
    const expected = rule.value;
    const list = Array.isArray(expected) ? expected : [expected];
    switch (rule.operator) {
      case '=':
        return actual === expected;
      case '!=':
        return actual !== expected;
      case 'in':
        return list.includes(actual);
      case 'notIn':
        return !list.includes(actual);
      case 'contains':
        return typeof actual === 'string'
          ? typeof expected === 'string' && actual.includes(expected)
          : Array.isArray(actual) && actual.includes(expected);
      case 'containsAny':
        return Array.isArray(actual) && actual.some((v) => list.includes(v));
      case 'beginsWith':
        return typeof actual === 'string' && typeof expected === 'string' && actual.startsWith(expected);
      case 'endsWith':
        return typeof actual === 'string' && typeof expected === 'string' && actual.endsWith(expected);
      case 'isEmpty':
        return actual === undefined || actual === null || actual === '' || (Array.isArray(actual) && actual.length === 0);
      case 'isNotEmpty':
        return !(actual === undefined || actual === null || actual === '' || (Array.isArray(actual) && actual.length === 0));
      default: {
        if (typeof actual !== 'number' || typeof expected !== 'number') return false;
        if (rule.operator === '>') return actual > expected;
        if (rule.operator === '>=') return actual >= expected;
        if (rule.operator === '<') return actual < expected;
        return actual <= expected;
      }
    }
  }

  // ---- actions and automations ---------------------------------------------

  createAction(body: unknown, clientId: string): Reply {
    const parsed = ActionBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const { identifier } = parsed.data;
    if (this.actions.has(identifier)) {
      return fail(409, ErrorCode.IDENTIFIER_TAKEN, `An action with identifier "${identifier}" already exists`);
    }
    const at = this.iso();
    const action: EmulatorAction = { ...parsed.data, createdAt: at, updatedAt: at, createdBy: clientId, updatedBy: clientId };
    this.actions.set(identifier, action);
    return { status: 201, body: { ok: true, action } };
  }

  updateAction(identifier: string, body: unknown, clientId: string): Reply {
    const existing = this.actions.get(identifier);
    if (!existing) return fail(404, ErrorCode.NOT_FOUND, `Action with identifier "${identifier}" was not found`);
    const parsed = ActionBody.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    if (parsed.data.identifier !== identifier) {
      return fail(422, ErrorCode.INVALID_REQUEST, `body.identifier: "${parsed.data.identifier}" does not match the path's "${identifier}"`);
    }
    // PUT replaces: what the body leaves out is gone, as with Port.
    const action: EmulatorAction = {
      ...parsed.data,
      createdAt: existing.createdAt,
      createdBy: existing.createdBy,
      updatedAt: this.iso(),
      updatedBy: clientId,
    };
    this.actions.set(identifier, action);
    return { status: 200, body: { ok: true, action } };
  }

  getAction(identifier: string): Reply {
    const action = this.actions.get(identifier);
    if (!action) return fail(404, ErrorCode.NOT_FOUND, `Action with identifier "${identifier}" was not found`);
    return { status: 200, body: { ok: true, action } };
  }

  listActions(query: Record<string, string>): Reply {
    const type = query.trigger_type;
    const actions = [...this.actions.values()].filter((a) => type === undefined || a.trigger.type === type);
    return { status: 200, body: { ok: true, actions } };
  }

  deleteAction(identifier: string): Reply {
    if (!this.actions.delete(identifier)) return fail(404, ErrorCode.NOT_FOUND, `Action with identifier "${identifier}" was not found`);
    return { status: 200, body: { ok: true } };
  }
}

type EmulatorActionBody = z.output<typeof ActionBody>;

export type { EmulatorActionBody };
export { PortCatalog };
