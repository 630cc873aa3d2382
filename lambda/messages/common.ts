import * as z from 'zod';

/** A Port user as it appears in `trigger.by.user`. */
const PortUser = z.looseObject({
  id: z.string().optional(),
  email: z.string().optional(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
});

/** Who triggered a run or a change, when, and from where (UI, API, AUTOMATION). */
const Trigger = z.looseObject({
  by: z
    .looseObject({
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

/** A Port entity. Templates render an absent entity as `{}`, which we read as none. */
const Entity = z.looseObject({
  identifier: z.string().min(1),
  title: z.string().nullish(),
  blueprint: z.string().optional(),
  icon: z.string().nullish(),
  properties: z.record(z.string(), z.unknown()).default({}),
  relations: z.record(z.string(), z.unknown()).default({}),
});
type Entity = z.infer<typeof Entity>;

const isEmptyObject = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

const OptionalEntity = z.preprocess((v) => (isEmptyObject(v) ? null : v), Entity.nullish());

export { Entity, OptionalEntity, PortUser, Trigger };
