import * as z from 'zod';

/**
 * Port's action/automation JSON (API reference: create-an-action-automation,
 * change-an-action-automation, get-an-action-automation), as far as this
 * package writes and reads it. Reading stays loose: Port adds fields
 * (createdAt, updatedBy...) and actions made in Port's UI may use keys we do
 * not manage; they are kept, not dropped, so a diff can show them.
 */

/** The two ways Port encrypts a secret input (docs: user-inputs/secret). */
const SecretEncryptionSchema = z.union([
  z.literal('aes256-gcm'),
  z.strictObject({ algorithm: z.literal('client-side'), key: z.string().min(1) }),
]);
type SecretEncryption = z.infer<typeof SecretEncryptionSchema>;

/** Input types Port accepts (`userInputs.properties.*.type`). Port has no `integer`. */
const PORT_INPUT_TYPES = ['string', 'number', 'boolean', 'object', 'array'] as const;
/** Formats Port accepts on an input (`format`), per the create-an-action API schema. */
const PORT_INPUT_FORMATS = [
  'date-time',
  'url',
  'email',
  'ipv4',
  'ipv6',
  'yaml',
  'entity',
  'user',
  'team',
  'proto',
  'markdown',
  'multi-line',
  'labeled-url',
] as const;
type PortInputFormat = (typeof PORT_INPUT_FORMATS)[number];

/** Port's entity-picker filter (`dataset`) and order (`sort`), passed through as written. */
const EntityDatasetSchema = z.looseObject({
  combinator: z.enum(['and', 'or']),
  rules: z.array(z.record(z.string(), z.unknown())),
});
type EntityDataset = z.infer<typeof EntityDatasetSchema>;
const EntitySortSchema = z.strictObject({ property: z.string().min(1), order: z.enum(['ASC', 'DESC']) });
type EntitySort = z.infer<typeof EntitySortSchema>;

/**
 * One user input: JSON-schema-like Port JSON, recursive through `items` and
 * `properties`. Keys this package does not model (visible, dependsOn,
 * enumColors...) are kept.
 */
const PortUserInputSchema = z.looseObject({
  type: z.enum(PORT_INPUT_TYPES),
  title: z.string().optional(),
  description: z.string().optional(),
  icon: z.string().optional(),
  default: z.unknown().optional(),
  enum: z.array(z.unknown()).optional(),
  format: z.string().optional(),
  blueprint: z.string().optional(),
  dataset: EntityDatasetSchema.optional(),
  sort: EntitySortSchema.optional(),
  encryption: SecretEncryptionSchema.optional(),
  minLength: z.number().optional(),
  maxLength: z.number().optional(),
  pattern: z.string().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  exclusiveMinimum: z.number().optional(),
  exclusiveMaximum: z.number().optional(),
  minItems: z.number().optional(),
  maxItems: z.number().optional(),
  get items() {
    return PortUserInputSchema.optional();
  },
  get properties() {
    return z.record(z.string(), PortUserInputSchema).optional();
  },
  required: z.array(z.string()).optional(),
  additionalProperties: z.boolean().optional(),
});
type PortUserInput = z.infer<typeof PortUserInputSchema>;

/** Port input names (`userInputs.properties` keys) must match this. */
const PORT_INPUT_NAME = /^[A-Za-z0-9@_=-]+$/;

/** `trigger.userInputs`: the form. `required` may also be a JQ query object in Port. */
const PortUserInputsSchema = z.looseObject({
  properties: z.record(z.string(), PortUserInputSchema),
  required: z.union([z.array(z.string()), z.looseObject({ jqQuery: z.string() })]).optional(),
  order: z.array(z.string()).optional(),
  titles: z.record(z.string(), z.unknown()).optional(),
  steps: z.array(z.unknown()).optional(),
});
type PortUserInputs = z.infer<typeof PortUserInputsSchema>;

const ACTION_OPERATIONS = ['CREATE', 'DAY-2', 'DELETE'] as const;
type ActionOperation = (typeof ACTION_OPERATIONS)[number];

const SelfServiceTriggerSchema = z.looseObject({
  type: z.literal('self-service'),
  operation: z.enum(ACTION_OPERATIONS),
  blueprintIdentifier: z.string().optional(),
  userInputs: PortUserInputsSchema,
});

/** Automation events (docs: define-automations/setup-trigger). */
const ENTITY_EVENTS = ['ENTITY_CREATED', 'ENTITY_UPDATED', 'ENTITY_DELETED', 'ANY_ENTITY_CHANGE'] as const;
const RUN_EVENTS = ['RUN_CREATED', 'RUN_UPDATED', 'ANY_RUN_CHANGE'] as const;
const TIMER_EVENT = 'TIMER_PROPERTY_EXPIRED';

const AutomationEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.enum(ENTITY_EVENTS), blueprintIdentifier: z.string().min(1) }),
  z.strictObject({
    type: z.literal(TIMER_EVENT),
    blueprintIdentifier: z.string().min(1),
    propertyIdentifier: z.string().min(1),
  }),
  z.strictObject({ type: z.enum(RUN_EVENTS), actionIdentifier: z.string().min(1) }),
]);
type AutomationEvent = z.infer<typeof AutomationEventSchema>;

const JqConditionSchema = z.strictObject({
  type: z.literal('JQ'),
  expressions: z.array(z.string()).min(1),
  combinator: z.enum(['and', 'or']).optional(),
});

const AutomationTriggerSchema = z.looseObject({
  type: z.literal('automation'),
  event: AutomationEventSchema,
  condition: JqConditionSchema.optional(),
});

const KafkaInvocationSchema = z.strictObject({
  type: z.literal('KAFKA'),
  payload: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
});

/** An action or automation as this package writes it (POST/PUT body). */
const PortActionBodySchema = z.strictObject({
  identifier: z.string().min(1),
  title: z.string().optional(),
  description: z.string().optional(),
  icon: z.string().optional(),
  trigger: z.union([SelfServiceTriggerSchema, AutomationTriggerSchema]),
  invocationMethod: KafkaInvocationSchema,
  requiredApproval: z.union([z.boolean(), z.strictObject({ type: z.enum(['ANY', 'ALL']) })]).optional(),
  publish: z.boolean().optional(),
  // Not written from code; `port sync` carries over what Port has so a PUT does not drop them.
  approvalNotification: z.looseObject({ type: z.string() }).optional(),
  allowAnyoneToViewRuns: z.boolean().optional(),
});
type PortActionBody = z.infer<typeof PortActionBodySchema>;

/**
 * An action or automation as Port returns it: any invocation method (an action
 * made in the UI may be a webhook), any trigger shape, extra fields kept.
 */
const PortActionSchema = z.looseObject({
  identifier: z.string(),
  title: z.string().nullish(),
  description: z.string().nullish(),
  icon: z.string().nullish(),
  trigger: z.looseObject({ type: z.string() }),
  invocationMethod: z.looseObject({ type: z.string() }),
});
type PortAction = z.infer<typeof PortActionSchema>;

const ActionEnvelopeSchema = z.looseObject({ action: PortActionSchema });

export type {
  ActionOperation,
  AutomationEvent,
  EntityDataset,
  EntitySort,
  PortAction,
  PortActionBody,
  PortInputFormat,
  PortUserInput,
  PortUserInputs,
  SecretEncryption,
};
export {
  ACTION_OPERATIONS,
  ActionEnvelopeSchema,
  AutomationEventSchema,
  AutomationTriggerSchema,
  ENTITY_EVENTS,
  EntityDatasetSchema,
  EntitySortSchema,
  JqConditionSchema,
  KafkaInvocationSchema,
  PORT_INPUT_FORMATS,
  PORT_INPUT_NAME,
  PORT_INPUT_TYPES,
  PortActionBodySchema,
  PortActionSchema,
  PortUserInputSchema,
  PortUserInputsSchema,
  RUN_EVENTS,
  SecretEncryptionSchema,
  SelfServiceTriggerSchema,
  TIMER_EVENT,
};
