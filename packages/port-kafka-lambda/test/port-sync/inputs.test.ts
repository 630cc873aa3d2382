import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { entityInput, portInput, secretInput, teamInput, userInput } from '../../src/actions/inputs.js';
import { type PortUserInputs, PortUserInputsSchema } from '../../src/port/actions.js';
import { toPortUserInputs, UnsupportedInputError } from '../../src/port-sync/inputs.js';
import { toZodSource } from '../../src/port-sync/source.js';
import { evaluateInputsSource } from './support.js';

const field = (schema: z.ZodType) => toPortUserInputs(z.object({ f: schema })).properties.f;

const refusal = (schema: z.ZodType): string => {
  try {
    toPortUserInputs(z.object({ f: schema }), 'my_action: inputs');
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedInputError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('zod → Port user inputs', () => {
  it('maps the base types, with required = the fields that are neither optional nor defaulted, in key order', () => {
    const inputs = toPortUserInputs(
      z.object({
        b: z.boolean(),
        a: z.string(),
        n: z.number().optional(),
        d: z.string().default('x'),
        u: z.string().nullish(),
        o: z.looseObject({}),
        l: z.array(z.unknown()),
      })
    );
    expect(inputs).toEqual({
      properties: {
        b: { type: 'boolean' },
        a: { type: 'string' },
        n: { type: 'number' },
        d: { type: 'string', default: 'x' },
        u: { type: 'string' },
        o: { type: 'object' },
        l: { type: 'array' },
      },
      required: ['b', 'a', 'o', 'l'],
      order: ['b', 'a', 'n', 'd', 'u', 'o', 'l'],
    });
    // What Port's API schema accepts.
    expect(PortUserInputsSchema.safeParse(inputs).success).toBe(true);
  });

  it('maps string lengths, patterns and the formats Port has', () => {
    expect(
      field(
        z
          .string()
          .min(2)
          .max(9)
          .regex(/^[a-z]+$/)
      )
    ).toEqual({ type: 'string', minLength: 2, maxLength: 9, pattern: '^[a-z]+$' });
    expect(field(z.string().length(4))).toEqual({ type: 'string', minLength: 4, maxLength: 4 });
    expect(field(z.email())).toEqual({ type: 'string', format: 'email' });
    expect(field(z.string().email())).toEqual({ type: 'string', format: 'email' });
    expect(field(z.url())).toEqual({ type: 'string', format: 'url' });
    expect(field(z.iso.datetime())).toEqual({ type: 'string', format: 'date-time' });
    expect(field(z.ipv4())).toEqual({ type: 'string', format: 'ipv4' });
    expect(field(z.ipv6())).toEqual({ type: 'string', format: 'ipv6' });
  });

  it('maps number bounds, inclusive and exclusive; an integer is a Port number', () => {
    expect(field(z.number().min(1).max(64))).toEqual({ type: 'number', minimum: 1, maximum: 64 });
    expect(field(z.number().gt(0).lt(1))).toEqual({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 });
    expect(field(z.int().nonnegative())).toEqual({ type: 'number', minimum: 0 });
    // Two lower bounds: the tighter wins, as zod applies both.
    expect(field(z.number().min(1).min(5))).toEqual({ type: 'number', minimum: 5 });
  });

  it('maps enums, literals and unions of literals to a select', () => {
    expect(field(z.enum(['dev', 'prod']))).toEqual({ type: 'string', enum: ['dev', 'prod'] });
    expect(field(z.literal('only'))).toEqual({ type: 'string', enum: ['only'] });
    expect(field(z.union([z.literal(1), z.literal(2)]))).toEqual({ type: 'number', enum: [1, 2] });
    expect(field(z.literal([2, 4, 8]))).toEqual({ type: 'number', enum: [2, 4, 8] });
  });

  it('maps arrays with item bounds and typed items', () => {
    expect(field(z.array(z.email()).min(1).max(3))).toEqual({
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: { type: 'string', format: 'email' },
    });
    expect(field(z.array(z.enum(['a', 'b'])).length(2))).toEqual({
      type: 'array',
      minItems: 2,
      maxItems: 2,
      items: { type: 'string', enum: ['a', 'b'] },
    });
  });

  it('maps nested objects to JSON-schema properties; a strict object refuses extra keys', () => {
    expect(field(z.strictObject({ host: z.string(), port: z.number().optional() }))).toEqual({
      type: 'object',
      properties: { host: { type: 'string' }, port: { type: 'number' } },
      required: ['host'],
      additionalProperties: false,
    });
    expect(field(z.object({ a: z.boolean() }))).toEqual({ type: 'object', properties: { a: { type: 'boolean' } }, required: ['a'] });
  });

  it('takes title and icon from .meta() and the description from .describe(), wherever they sit', () => {
    expect(field(z.string().meta({ title: 'Name', icon: 'Service' }).describe('The service name').optional())).toEqual({
      type: 'string',
      title: 'Name',
      icon: 'Service',
      description: 'The service name',
    });
    expect(field(z.number().optional().meta({ title: 'Outer' }))).toEqual({ type: 'number', title: 'Outer' });
  });

  it('maps the Port-only inputs: entity, user, team, Port formats and secrets with their encryption', () => {
    expect(field(entityInput('service'))).toEqual({ type: 'string', format: 'entity', blueprint: 'service' });
    expect(field(entityInput('cluster', { sort: { property: 'region', order: 'DESC' } }).describe('Where'))).toEqual({
      type: 'string',
      description: 'Where',
      format: 'entity',
      blueprint: 'cluster',
      sort: { property: 'region', order: 'DESC' },
    });
    expect(field(z.array(entityInput('service')).min(1))).toEqual({
      type: 'array',
      minItems: 1,
      items: { type: 'string', format: 'entity', blueprint: 'service' },
    });
    expect(field(userInput())).toEqual({ type: 'string', format: 'user' });
    expect(field(teamInput())).toEqual({ type: 'string', format: 'team' });
    expect(field(portInput(z.string().max(500), { format: 'yaml' }))).toEqual({ type: 'string', maxLength: 500, format: 'yaml' });
    expect(field(secretInput())).toEqual({ type: 'string', encryption: 'aes256-gcm' });
    expect(field(secretInput({ multiLine: true }))).toEqual({ type: 'string', encryption: 'aes256-gcm', format: 'multi-line' });
    const key = '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----';
    expect(field(secretInput({ type: 'object', encryption: { algorithm: 'client-side', key } }).optional())).toEqual({
      type: 'object',
      encryption: { algorithm: 'client-side', key },
    });
  });

  it('keeps the handler side working: an entity input accepts the entity object Port sends, or an identifier', () => {
    const schema = z.object({ svc: entityInput('service'), token: secretInput().optional() });
    expect(schema.parse({ svc: { identifier: 'api', title: 'API', properties: { tier: 1 } } }).svc).toEqual({
      identifier: 'api',
      title: 'API',
      properties: { tier: 1 },
    });
    expect(schema.parse({ svc: 'api' }).svc).toEqual({ identifier: 'api' });
    // A secret's value in the run is its ciphertext: a string whatever the declared type.
    expect(schema.safeParse({ svc: 'api', token: { a: 1 } }).success).toBe(false);
  });

  it.each([
    ['a transform', z.string().transform((s) => s.length), 'my_action: inputs.f: a transform or pipe'],
    ['a preprocess', z.preprocess((v) => v, z.string()), 'my_action: inputs.f: a transform or pipe'],
    ['a refinement', z.string().refine((s) => s !== ''), 'my_action: inputs.f: a refinement'],
    ['a trim', z.string().trim(), 'my_action: inputs.f: a transform (.trim'],
    ['a union of types', z.union([z.string(), z.number()]), 'my_action: inputs.f: a union of non-literal options'],
    ['a record', z.record(z.string(), z.string()), 'my_action: inputs.f: a record (z.record)'],
    ['a tuple', z.tuple([z.string(), z.number()]), 'my_action: inputs.f: a tuple'],
    ['a date', z.date(), 'my_action: inputs.f: z.date()'],
    ['unknown', z.unknown(), 'my_action: inputs.f: an untyped value'],
    ['a uuid format', z.uuid(), 'my_action: inputs.f: the string format "uuid"'],
    ['a regex with flags', z.string().regex(/abc/i), 'my_action: inputs.f: a regex with flags (/i)'],
    ['multipleOf', z.number().multipleOf(5), 'my_action: inputs.f: .multipleOf()'],
    ['a boolean select', z.literal(true), 'my_action: inputs.f: a select mixing value types'],
    ['optional items', z.array(z.string().optional()), 'my_action: inputs.f[]: an optional array item'],
    ['a nested transform', z.object({ deep: z.string().transform((s) => s) }), 'my_action: inputs.f.deep: a transform or pipe'],
    ['a URL with a protocol rule', z.url({ protocol: /^https$/ }), 'my_action: inputs.f: a URL restricted by hostname or protocol'],
  ])('refuses %s with one line naming the field and the construct', (_name, schema, start) => {
    const message = refusal(schema);
    expect(message.startsWith(start)).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('refuses an inputs schema that is not an object, and input names Port does not allow', () => {
    expect(() => toPortUserInputs(z.string(), 'a: inputs')).toThrow('a: inputs: z.string() cannot be a Port user input');
    expect(() => toPortUserInputs(z.object({ 'has space': z.string() }))).toThrow('inputs.has space: the input name');
  });
});

describe('Port user inputs → zod source (pull)', () => {
  const everything = z.object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,40}$/)
      .optional(),
    path: z.string().regex(/^a\/b$/),
    cpu: z.number().int().min(1).max(64).meta({ title: 'CPU', icon: 'Cpu' }),
    ratio: z.number().gt(0).lt(1).optional(),
    region: z.enum(['eu-west-1', 'us-east-1']).default('eu-west-1'),
    email: z.email().describe('Who to tell'),
    when: z.iso.datetime().optional(),
    ip: z.ipv4().optional(),
    tags: z.array(z.string().min(1)).max(5),
    code: z.string().length(6),
    service: entityInput('service', { dataset: { combinator: 'and', rules: [{ property: 'tier', operator: '=', value: 'gold' }] } }),
    services: z.array(entityInput('service')).optional(),
    token: secretInput().optional(),
    cert: secretInput({ multiLine: true }),
    config: secretInput({
      type: 'object',
      encryption: { algorithm: 'client-side', key: '-----BEGIN PUBLIC KEY-----\nX\n-----END PUBLIC KEY-----' },
    }),
    owner: userInput(),
    team: teamInput().optional(),
    values: portInput(z.string(), { format: 'yaml' }).optional(),
    size: z.literal([1, 2, 4]),
    db: z.strictObject({ host: z.string(), port: z.number().optional() }),
    labels: z.looseObject({}),
    extras: z.array(z.unknown()).min(1),
    dry_run: z.boolean().default(false),
  });

  it('generates source that maps back to the same user inputs (the round trip pull relies on)', async () => {
    const pushed = toPortUserInputs(everything);
    const pulled = toZodSource(pushed, { identifier: 'everything', constName: 'everythingInputs', title: 'Everything' });
    expect(pulled.warnings).toEqual([]);
    const schema = await evaluateInputsSource(pulled.source, 'everythingInputs');
    expect(toPortUserInputs(schema)).toEqual(pushed);
    expect(pulled.source).toContain("import { entityInput, portInput, secretInput, teamInput, userInput } from 'port-kafka-lambda';");
    expect(pulled.source).toContain('User inputs of the Port action "everything" (Everything)');
  });

  it('reads an action written in Port by hand: its order, a required list, and warns about what zod cannot say', async () => {
    const fromPort: PortUserInputs = {
      properties: {
        version: { type: 'string', title: 'Version', pattern: '^v\\d+$' },
        env: { type: 'string', enum: ['dev', 'prod'], visible: { jqQuery: '.form.advanced' }, enumColors: { dev: 'green' } },
        replicas: { type: 'number', default: { jqQuery: '.entity.properties.replicas' } },
        notify: { type: 'string', format: 'email', enum: ['a@example.com', 'b@example.com'] },
      },
      required: ['version', 'env'],
      order: ['env', 'version'],
      titles: { section: { title: 'Advanced' } },
    };
    const pulled = toZodSource(fromPort, { identifier: 'deploy', constName: 'deployInputs' });
    expect(pulled.warnings).toEqual([
      'inputs: "titles" is not expressed in zod (a sync removes it from Port)',
      'inputs.env: visible, enumColors not expressed in zod (a sync removes them from Port)',
      'inputs.replicas: a JQ default is not expressed in zod (a sync removes it from Port)',
    ]);
    // The file says so too, where the team will read it.
    expect(pulled.source).toContain(' * - inputs.env: visible, enumColors not expressed in zod');
    const schema = await evaluateInputsSource(pulled.source, 'deployInputs');
    expect(toPortUserInputs(schema)).toEqual({
      properties: {
        env: { type: 'string', enum: ['dev', 'prod'] },
        version: { type: 'string', title: 'Version', pattern: '^v\\d+$' },
        replicas: { type: 'number' },
        notify: { type: 'string', enum: ['a@example.com', 'b@example.com'], format: 'email' },
      },
      required: ['env', 'version'],
      order: ['env', 'version', 'replicas', 'notify'],
    });
  });

  it("warns when Port's required is a JQ query and pulls every input as optional", () => {
    const pulled = toZodSource(
      { properties: { a: { type: 'string' } }, required: { jqQuery: '.form.x' } },
      { identifier: 'a', constName: 'aInputs' }
    );
    expect(pulled.warnings[0]).toMatch(/^inputs: "required" is a JQ query in Port/);
    expect(pulled.source).toContain('a: z.string().optional(),');
  });
});
