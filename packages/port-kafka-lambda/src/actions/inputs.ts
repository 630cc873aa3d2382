import * as z from 'zod';
import {
  type EntityDataset,
  type EntitySort,
  type PortInputFormat,
  type SecretEncryption,
  SecretEncryptionSchema,
} from '../port/actions.js';

/**
 * Port-specific facts about an input that a zod schema cannot say by itself:
 * Port-only formats (entity, user, team, yaml, multi-line...), the blueprint of
 * an entity input, a secret input's encryption. Kept in a zod registry, so the
 * schema stays an ordinary zod schema for validation; `port sync` reads the
 * registry when it builds the action's form (port-sync/inputs.ts).
 */
interface PortInputMeta {
  format?: PortInputFormat;
  /** The blueprint an entity input picks from (`format: 'entity'`). */
  blueprint?: string;
  dataset?: EntityDataset;
  sort?: EntitySort;
  /** Set on secret inputs: how Port encrypts the value before it reaches Kafka. */
  secret?: { type: 'string' | 'object'; encryption: SecretEncryption };
}

/** Zod registry of {@link PortInputMeta}; zod keeps entries across `.optional()`, `.min()`, `.describe()` clones. */
const portInputRegistry = z.registry<PortInputMeta>();

/** The Port metadata of a schema, if it or a schema it was derived from was registered. */
const portInputMeta = (schema: z.ZodType): PortInputMeta | undefined => portInputRegistry.get(schema);

/**
 * Marks a schema with Port-only input settings, e.g. a YAML text area:
 * `portInput(z.string(), { format: 'yaml' })`. Prefer the named helpers below.
 */
const portInput = <S extends z.ZodType>(schema: S, meta: PortInputMeta): S => {
  // A clone, so registering never changes a schema the caller shares elsewhere.
  const copy = schema.meta({}) as S;
  portInputRegistry.add(copy, meta);
  return copy;
};

/**
 * An entity as Port sends an entity input in a v2 action's `.inputs`: the
 * whole entity (identifier, title, properties, relations...). A run started
 * through the API may send only the identifier; either way the handler gets
 * an object with `identifier`.
 */
const EntityRefSchema = z.looseObject({
  identifier: z.string().min(1),
  title: z.string().nullish(),
  blueprint: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  relations: z.record(z.string(), z.unknown()).optional(),
});
type EntityRef = z.output<typeof EntityRefSchema>;

/**
 * An input that picks an entity of `blueprint` (Port: `format: "entity"`).
 * Wrap it in `z.array(...)` for a multi-select.
 *
 * @example
 * ```ts
 * inputs: z.object({ cluster: entityInput('cluster', { sort: { property: 'region', order: 'ASC' } }) })
 * // handler: inputs.cluster.identifier
 * ```
 */
const entityInput = (blueprint: string, options: { dataset?: EntityDataset; sort?: EntitySort } = {}) =>
  portInput(
    z
      .union([z.string().min(1), EntityRefSchema])
      .transform((value): EntityRef => (typeof value === 'string' ? { identifier: value } : value)),
    { format: 'entity', blueprint, ...options }
  );

/** A Port user picker (`format: "user"`): the value is the user's email. */
const userInput = () => portInput(z.string(), { format: 'user' });
/** A Port team picker (`format: "team"`): the value is the team's name. */
const teamInput = () => portInput(z.string(), { format: 'team' });

interface SecretInputOptions {
  /** What the user types: a string (default) or a JSON object; the run carries it encrypted either way. */
  type?: 'string' | 'object';
  /**
   * `'aes256-gcm'` (default): Port encrypts with the org's client secret.
   * `{ algorithm: 'client-side', key: '<RSA public key PEM>' }`: the browser
   * encrypts with your public key; the backend decrypts with the private key
   * named by PORT_SECRET_INPUTS_PRIVATE_KEY_ARN.
   */
  encryption?: SecretEncryption;
  /** A text area instead of a masked line (certificates, keys). Strings only. */
  multiLine?: boolean;
}

/**
 * A secret input. Its value in the run is the base64 ciphertext, so the
 * schema is a string whatever `type` says; read the plaintext with
 * `ctx.decrypt('<name>')` (JSON text for an object secret), which picks the
 * decryption from the encryption declared here.
 */
const secretInput = (options: SecretInputOptions = {}) => {
  const encryption = SecretEncryptionSchema.parse(options.encryption ?? 'aes256-gcm');
  const type = options.type ?? 'string';
  return portInput(z.string().min(1), {
    secret: { type, encryption },
    ...(options.multiLine && type === 'string' ? { format: 'multi-line' as const } : {}),
  });
};

/**
 * How input `name` of an action's inputs (a z.object) was declared secret, if
 * it was (secretInput), looking through optional/default/nullable wrappers.
 */
const declaredSecret = (inputs: z.ZodType, name: string): PortInputMeta['secret'] => {
  type Def = { shape?: Record<string, z.ZodType>; innerType?: z.ZodType };
  const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
  let current: z.ZodType | undefined = defOf(inputs).shape?.[name];
  while (current !== undefined) {
    const meta = portInputMeta(current);
    if (meta !== undefined) return meta.secret;
    current = defOf(current).innerType;
  }
  return undefined;
};

export type { EntityRef, PortInputMeta, SecretInputOptions };
export { declaredSecret, EntityRefSchema, entityInput, portInput, portInputMeta, portInputRegistry, secretInput, teamInput, userInput };
