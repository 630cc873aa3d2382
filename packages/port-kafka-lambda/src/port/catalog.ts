import * as z from 'zod';
import { PortEntitySchema } from './types.js';

/**
 * Catalog calls beyond one entity (API reference: create-multiple-entities,
 * delete-an-entity, search-entities, search-a-blueprints-entities,
 * get-a-blueprint). Response schemas are loose like the rest of the client's.
 */

/** Port accepts at most this many entities per bulk call; the client splits longer lists. */
const BULK_MAX_ENTITIES = 20;

/** One entity's outcome in a bulk call, by its position in the list the caller gave. */
const BulkEntityResultSchema = z.looseObject({
  identifier: z.string(),
  index: z.number(),
  created: z.boolean(),
});
const BulkEntityErrorSchema = z.looseObject({
  identifier: z.string().optional(),
  index: z.number(),
  statusCode: z.number().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
});
/** Body of 200 and 207 answers to `POST /v1/blueprints/{bp}/entities/bulk`. */
const BulkEnvelopeSchema = z.looseObject({
  entities: z.array(BulkEntityResultSchema).default([]),
  errors: z.array(BulkEntityErrorSchema).default([]),
});

/**
 * What a bulk upsert did. Port answers 207 when some entities failed: that is
 * not thrown, it is reported here, entity by entity, with `index` into the
 * list the caller passed (not into one chunk of it).
 */
interface BulkUpsertResult {
  /** Entities written; `created` false means an existing one was updated. */
  entities: { identifier: string; index: number; created: boolean }[];
  /** Entities Port refused, with its status and reason. */
  errors: {
    identifier: string | undefined;
    index: number;
    statusCode: number | undefined;
    error: string | undefined;
    message: string | undefined;
  }[];
  /** True when every entity was written. */
  ok: boolean;
}

/** Port's entity query: rules combined with and/or (docs: search-entities). Rules are passed through as written. */
const EntityQuerySchema = z.looseObject({
  combinator: z.enum(['and', 'or']),
  rules: z.array(z.record(z.string(), z.unknown())),
});
type EntityQuery = z.infer<typeof EntityQuerySchema>;

const SearchEnvelopeSchema = z.looseObject({
  entities: z.array(PortEntitySchema),
  next: z.string().nullish(),
});

/** A blueprint as `GET /v1/blueprints/{id}` returns it; only what callers read is checked. */
const PortBlueprintSchema = z.looseObject({
  identifier: z.string(),
  title: z.string().nullish(),
  icon: z.string().nullish(),
  schema: z.looseObject({
    properties: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    required: z.array(z.string()).optional(),
  }),
  relations: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
type PortBlueprint = z.infer<typeof PortBlueprintSchema>;
const BlueprintEnvelopeSchema = z.looseObject({ blueprint: PortBlueprintSchema });

const OkEnvelopeSchema = z.looseObject({ ok: z.boolean().optional() });

export type { BulkUpsertResult, EntityQuery, PortBlueprint };
export {
  BlueprintEnvelopeSchema,
  BULK_MAX_ENTITIES,
  BulkEnvelopeSchema,
  EntityQuerySchema,
  OkEnvelopeSchema,
  PortBlueprintSchema,
  SearchEnvelopeSchema,
};
