import * as z from 'zod';
import { type PortInputMeta, portInputMeta } from '../actions/inputs.js';
import { PortKafkaError } from '../errors.js';
import { PORT_INPUT_NAME, type PortUserInput, type PortUserInputs } from '../port/actions.js';

/**
 * zod → Port user inputs: an action's `inputs` schema becomes the form Port
 * shows (`trigger.userInputs`). Every mapping is in docs/actions-as-code.md;
 * anything Port cannot express is refused with one line naming the field and
 * the construct, because a form that accepts what the handler then rejects
 * fails runs with "Invalid inputs" long after the sync said all was well.
 *
 * Zod's internals are read through `_zod.def`, zod 4's documented way to
 * introspect a schema (the same data z.toJSONSchema walks).
 */

class UnsupportedInputError extends PortKafkaError {
  /** Where, e.g. `inputs.tags[]`. */
  readonly field: string;
  /** What Port cannot express, e.g. `a transform`. */
  readonly construct: string;

  constructor(field: string, construct: string, hint?: string) {
    super(`${field}: ${construct} cannot be a Port user input${hint ? ` (${hint})` : ''}`);
    this.name = 'UnsupportedInputError';
    this.field = field;
    this.construct = construct;
  }
}

/** Zod's check objects as far as this mapper reads them. */
interface CheckDef {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  length?: number;
  format?: string;
  pattern?: RegExp;
}

/** The parts of a zod schema's definition this mapper reads; the rest stays opaque. */
interface SchemaDef {
  type: string;
  checks?: readonly { _zod: { def: CheckDef } }[];
  innerType?: z.ZodType;
  defaultValue?: unknown;
  format?: string;
  pattern?: RegExp;
  hostname?: RegExp;
  protocol?: RegExp;
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  options?: readonly z.ZodType[];
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Zod string formats that are Port formats of the same meaning. */
const ZOD_TO_PORT_FORMAT: Readonly<Record<string, string>> = {
  email: 'email',
  url: 'url',
  datetime: 'date-time',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
};

/** What each refused zod type is called in the one-line refusal, and how to get what was meant. */
const REFUSED_TYPES: Readonly<Record<string, [construct: string, hint?: string]>> = {
  pipe: ['a transform or pipe (.transform, .pipe, z.preprocess)', 'Port sends the value as typed; transform it in the handler'],
  transform: ['a transform', 'transform the value in the handler'],
  record: ['a record (z.record)', 'use z.looseObject({}) for any JSON object'],
  tuple: ['a tuple (z.tuple)', 'use z.array'],
  union: ['a union of non-literal options', 'only z.enum() or a union of z.literal() values becomes a Port select'],
  intersection: ['an intersection (z.intersection/.and)'],
  date: ['z.date()', 'use z.iso.datetime() for a date-time input'],
  unknown: ['an untyped value (z.unknown)'],
  any: ['an untyped value (z.any)'],
  lazy: ['a lazy or recursive schema (z.lazy, z.json)'],
  custom: ['a custom type (z.custom, z.instanceof)'],
  catch: ['a fallback (.catch)'],
  prefault: ['a prefault (.prefault)', 'use .default()'],
  nonoptional: ['.nonoptional()'],
  bigint: ['a bigint', 'use z.number()'],
};

const refusedType = (path: string, type: string): UnsupportedInputError => {
  const [construct, hint] = REFUSED_TYPES[type] ?? [`z.${type}()`];
  return new UnsupportedInputError(path, construct, hint);
};

const isJson = (value: unknown): boolean => {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
};

/** Title, description and icon from zod's global metadata (`.meta()`, `.describe()`). */
const displayMeta = (schema: z.ZodType): Pick<PortUserInput, 'title' | 'description' | 'icon'> => {
  const meta = z.globalRegistry.get(schema);
  const out: Pick<PortUserInput, 'title' | 'description' | 'icon'> = {};
  if (typeof meta?.title === 'string') out.title = meta.title;
  if (typeof meta?.description === 'string') out.description = meta.description;
  if (typeof meta?.icon === 'string') out.icon = meta.icon;
  return out;
};

interface Unwrapped {
  /** The schema under optional/nullable/default/readonly wrappers (or the registered one). */
  base: z.ZodType;
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
  /** Display metadata, the outermost wrapper's winning. */
  display: Pick<PortUserInput, 'title' | 'description' | 'icon'>;
  port: PortInputMeta | undefined;
}

/** Peels the wrappers that only say "may be absent" or "defaults to", collecting metadata on the way. */
const unwrap = (schema: z.ZodType, path: string): Unwrapped => {
  const out: Unwrapped = { base: schema, optional: false, hasDefault: false, defaultValue: undefined, display: {}, port: undefined };
  let current = schema;
  for (;;) {
    out.display = { ...displayMeta(current), ...out.display };
    out.port ??= portInputMeta(current);
    out.base = current;
    // A registered schema is opaque: entityInput's transform is ours, not the user's.
    if (out.port !== undefined) return out;
    const def = defOf(current);
    const inner = def.innerType;
    if (inner === undefined) return out;
    if (def.type === 'optional' || def.type === 'nullable') {
      out.optional = true;
    } else if (def.type === 'default') {
      if (!out.hasDefault) {
        const value = def.defaultValue;
        if (!isJson(value)) throw new UnsupportedInputError(path, 'a default that is not JSON');
        out.hasDefault = true;
        out.defaultValue = value;
      }
      out.optional = true;
    } else if (def.type !== 'readonly') {
      return out;
    }
    current = inner;
  }
};

const checksOf = (def: SchemaDef): CheckDef[] => (def.checks ?? []).map((c) => c._zod.def);

const refuseCheck = (path: string, check: CheckDef): never => {
  if (check.check === 'custom') {
    throw new UnsupportedInputError(path, 'a refinement (.refine, .superRefine, .check)', 'validate it in the handler');
  }
  if (check.check === 'overwrite') {
    throw new UnsupportedInputError(path, 'a transform (.trim, .toLowerCase, .overwrite...)', 'normalise the value in the handler');
  }
  if (check.check === 'multiple_of') throw new UnsupportedInputError(path, '.multipleOf()');
  if (check.check === 'string_format') {
    throw new UnsupportedInputError(
      path,
      `the string format "${check.format ?? '?'}"`,
      'Port formats: email, url, date-time, ipv4, ipv6; or use .regex()'
    );
  }
  throw new UnsupportedInputError(path, `the check "${check.check}"`);
};

const mapString = (def: SchemaDef, path: string): PortUserInput => {
  const input: PortUserInput = { type: 'string' };
  const setFormat = (zodFormat: string, pattern: RegExp | undefined) => {
    if (zodFormat === 'regex') {
      if (pattern === undefined) return;
      if (pattern.flags !== '')
        throw new UnsupportedInputError(path, `a regex with flags (/${pattern.flags})`, 'Port patterns take no flags');
      if (input.pattern !== undefined) throw new UnsupportedInputError(path, 'two regex patterns', 'combine them into one');
      input.pattern = pattern.source;
      return;
    }
    const port = ZOD_TO_PORT_FORMAT[zodFormat];
    if (port === undefined) refuseCheck(path, { check: 'string_format', format: zodFormat });
    if (input.format !== undefined && input.format !== port) throw new UnsupportedInputError(path, 'two string formats');
    input.format = port;
  };
  if (def.format !== undefined) {
    if (def.format === 'url' && (def.hostname !== undefined || def.protocol !== undefined)) {
      throw new UnsupportedInputError(path, 'a URL restricted by hostname or protocol', 'use .regex() instead');
    }
    setFormat(def.format, def.pattern);
  }
  for (const check of checksOf(def)) {
    if (check.check === 'min_length' && check.minimum !== undefined) input.minLength = Math.max(input.minLength ?? 0, check.minimum);
    else if (check.check === 'max_length' && check.maximum !== undefined)
      input.maxLength = Math.min(input.maxLength ?? Infinity, check.maximum);
    else if (check.check === 'length_equals' && check.length !== undefined) {
      input.minLength = check.length;
      input.maxLength = check.length;
    } else if (check.check === 'string_format' && check.format !== undefined) setFormat(check.format, check.pattern);
    else refuseCheck(path, check);
  }
  return input;
};

const mapNumber = (def: SchemaDef, path: string): PortUserInput => {
  const input: PortUserInput = { type: 'number' };
  for (const check of checksOf(def)) {
    const value = typeof check.value === 'number' ? check.value : undefined;
    if (check.check === 'greater_than' && value !== undefined) {
      if (check.inclusive) input.minimum = Math.max(input.minimum ?? -Infinity, value);
      else input.exclusiveMinimum = Math.max(input.exclusiveMinimum ?? -Infinity, value);
    } else if (check.check === 'less_than' && value !== undefined) {
      if (check.inclusive) input.maximum = Math.min(input.maximum ?? Infinity, value);
      else input.exclusiveMaximum = Math.min(input.exclusiveMaximum ?? Infinity, value);
    } else if (check.check === 'number_format') {
      // Port has no integer type: the form takes any number and the handler's
      // schema refuses a fraction ("Invalid inputs"). docs/actions-as-code.md says so.
    } else {
      refuseCheck(path, check);
    }
  }
  return input;
};

/** Literal values of an enum, a literal, or a union of them; undefined when the schema is none of these. */
const literalValues = (schema: z.ZodType): unknown[] | undefined => {
  const def = defOf(schema);
  if (def.type === 'enum' && def.entries) return Object.values(def.entries);
  if (def.type === 'literal' && def.values) return [...def.values];
  if (def.type === 'union' && def.options) {
    const all: unknown[] = [];
    for (const option of def.options) {
      const values = literalValues(option);
      if (values === undefined) return undefined;
      all.push(...values);
    }
    return all;
  }
  return undefined;
};

const mapEnum = (values: unknown[], path: string): PortUserInput => {
  const unique = [...new Set(values)];
  if (unique.length > 0 && unique.every((v) => typeof v === 'string')) return { type: 'string', enum: unique };
  if (unique.length > 0 && unique.every((v) => typeof v === 'number')) return { type: 'number', enum: unique };
  throw new UnsupportedInputError(
    path,
    'a select mixing value types (or of booleans, null)',
    'Port selects are all strings or all numbers'
  );
};

/** The Port input for a schema's base type (wrappers already peeled). */
const mapBase = (schema: z.ZodType, path: string): PortUserInput => {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return mapString(def, path);
    case 'number':
      return mapNumber(def, path);
    case 'boolean': {
      if ((def.checks ?? []).length > 0) refuseCheck(path, checksOf(def)[0] ?? { check: 'custom' });
      return { type: 'boolean' };
    }
    case 'enum':
    case 'literal':
    case 'union': {
      const values = literalValues(schema);
      if (values === undefined) throw refusedType(path, def.type);
      return mapEnum(values, path);
    }
    case 'array':
      return mapArray(def, path);
    case 'object':
      return mapObject(def, path);
    default:
      throw refusedType(path, def.type);
  }
};

const mapArray = (def: SchemaDef, path: string): PortUserInput => {
  const input: PortUserInput = { type: 'array' };
  for (const check of checksOf(def)) {
    if (check.check === 'min_length' && check.minimum !== undefined) input.minItems = check.minimum;
    else if (check.check === 'max_length' && check.maximum !== undefined) input.maxItems = check.maximum;
    else if (check.check === 'length_equals' && check.length !== undefined) {
      input.minItems = check.length;
      input.maxItems = check.length;
    } else refuseCheck(path, check);
  }
  const element = def.element;
  if (element === undefined) return input;
  const elementType = defOf(element).type;
  // An array of anything is Port's plain `array` (no `items`).
  if (elementType === 'unknown' || elementType === 'any') return input;
  const item = describeField(element, `${path}[]`);
  if (item.optional) throw new UnsupportedInputError(`${path}[]`, 'an optional array item', 'Port array items are always present');
  const { title: _t, description: _d, icon: _i, default: _def, ...items } = item.input;
  input.items = items;
  return input;
};

/** A nested object input: its keys become JSON-schema `properties`, Port validates them. */
const mapObject = (def: SchemaDef, path: string): PortUserInput => {
  if ((def.checks ?? []).length > 0) refuseCheck(path, checksOf(def)[0] ?? { check: 'custom' });
  const input: PortUserInput = { type: 'object' };
  const shape = def.shape ?? {};
  const keys = Object.keys(shape);
  if (keys.length > 0) {
    const properties: Record<string, PortUserInput> = {};
    const required: string[] = [];
    for (const key of keys) {
      const field = shape[key];
      if (field === undefined) continue;
      const described = describeField(field, `${path}.${key}`);
      properties[key] = described.input;
      if (!described.optional) required.push(key);
    }
    input.properties = properties;
    if (required.length > 0) input.required = required;
  }
  // z.strictObject refuses unknown keys; Port's form can say the same.
  if (def.catchall !== undefined && defOf(def.catchall).type === 'never') input.additionalProperties = false;
  return input;
};

/** A registered (Port-only) input: secret, entity or a Port format. */
const mapRegistered = (base: z.ZodType, meta: PortInputMeta, path: string): PortUserInput => {
  if (meta.secret !== undefined) {
    return {
      type: meta.secret.type,
      encryption: meta.secret.encryption,
      ...(meta.format !== undefined ? { format: meta.format } : {}),
    };
  }
  if (meta.format === 'entity') {
    if (meta.blueprint === undefined || meta.blueprint === '') throw new UnsupportedInputError(path, 'an entity input without a blueprint');
    return {
      type: 'string',
      format: 'entity',
      blueprint: meta.blueprint,
      ...(meta.dataset !== undefined ? { dataset: meta.dataset } : {}),
      ...(meta.sort !== undefined ? { sort: meta.sort } : {}),
    };
  }
  const input = mapBase(base, path);
  if (meta.format !== undefined) {
    if (input.format !== undefined && input.format !== meta.format) throw new UnsupportedInputError(path, 'two string formats');
    input.format = meta.format;
  }
  return input;
};

const describeField = (schema: z.ZodType, path: string): { input: PortUserInput; optional: boolean } => {
  const u = unwrap(schema, path);
  const typed = u.port !== undefined ? mapRegistered(u.base, u.port, path) : mapBase(u.base, path);
  // Port's docs write type, title, description, icon, then the rest; only people reading the JSON care.
  const { type, ...rest } = typed;
  const input: PortUserInput = { type, ...u.display, ...rest };
  if (u.hasDefault) input.default = u.defaultValue;
  return { input, optional: u.optional };
};

/**
 * An action's inputs schema as Port's `userInputs` (properties, required,
 * order = the schema's key order).
 *
 * @param where prefix of the field paths in refusals, e.g. `create_vm: inputs`.
 * @throws UnsupportedInputError naming the first field Port cannot express.
 */
const toPortUserInputs = (schema: z.ZodType, where = 'inputs'): PortUserInputs => {
  const u = unwrap(schema, where);
  const def = defOf(u.base);
  if (u.port !== undefined || def.type !== 'object') {
    throw new UnsupportedInputError(
      where,
      u.port !== undefined ? 'a Port input helper' : `z.${def.type}()`,
      "an action's inputs must be a z.object({...})"
    );
  }
  if ((def.checks ?? []).length > 0) refuseCheck(where, checksOf(def)[0] ?? { check: 'custom' });
  const properties: Record<string, PortUserInput> = {};
  const required: string[] = [];
  const order: string[] = [];
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const path = `${where}.${key}`;
    if (!PORT_INPUT_NAME.test(key)) {
      throw new UnsupportedInputError(path, 'the input name', 'Port input names use letters, digits and @ _ = -');
    }
    const described = describeField(field, path);
    properties[key] = described.input;
    if (!described.optional) required.push(key);
    order.push(key);
  }
  return { properties, required, order };
};

export { toPortUserInputs, UnsupportedInputError };
