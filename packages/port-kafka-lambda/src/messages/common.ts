import * as z from 'zod';

// Trigger and user are plain (stripping) objects: the hot path parses one per
// record, and copying every unknown key made validation cost a third of a
// record's decode. What a handler needs about who/when/where is declared here.

/** A Port user as it appears in `trigger.by.user`. */
const PortUser = z.object({
  id: z.string().optional(),
  email: z.string().optional(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
});

/** Who triggered a run or a change, when, and from where (UI, API, AUTOMATION). */
const Trigger = z.object({
  by: z
    .object({
      orgId: z.string().optional(),
      userId: z.string().optional(),
      user: PortUser.nullish(),
      byPort: z.boolean().optional(),
    })
    .default({}),
  origin: z.string().optional(),
  at: z.string().optional(),
  operation: z.string().optional(),
});
type Trigger = z.infer<typeof Trigger>;

/**
 * A JSON object of arbitrary keys (inputs, entity properties). Checked for
 * being an object but not copied key by key: z.record validates and copies
 * every key, which was a fifth of a run message's validation time, and inputs
 * are validated by the action's own schema anyway.
 */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const JsonObject = z.custom<Record<string, unknown>>(isObject, 'expected an object');

/** A Port entity. Templates render an absent entity as `{}`, which we read as none. */
const Entity = z.looseObject({
  identifier: z.string().min(1),
  title: z.string().nullish(),
  blueprint: z.string().optional(),
  icon: z.string().nullish(),
  properties: JsonObject.default({}),
  relations: JsonObject.default({}),
});
type Entity = z.infer<typeof Entity>;

const isEmptyObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

const OptionalEntity = z.preprocess((v) => (isEmptyObject(v) ? null : v), Entity.nullish());

export { Entity, isObject, JsonObject, OptionalEntity, PortUser, Trigger };
