import type { PortUserInput, PortUserInputs } from '../port/actions.js';

/**
 * Port user inputs → zod source text, for `port pull`: the inverse of
 * toPortUserInputs (port-sync/inputs.ts). Generated code maps back to the same
 * userInputs, so pull then sync changes nothing in Port; what zod cannot say
 * (visible, dependsOn, a JQ `required`...) is listed as a warning and left out,
 * because a re-sync will remove it from Port and the team must know that.
 */

/** Keys of a Port input that the generated code expresses. */
const EXPRESSED = new Set([
  'type',
  'title',
  'description',
  'icon',
  'default',
  'enum',
  'format',
  'blueprint',
  'dataset',
  'sort',
  'encryption',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
]);

/** Port formats with a zod equivalent of the same meaning. */
const FORMAT_CONSTRUCTORS: Readonly<Record<string, string>> = {
  email: 'z.email()',
  url: 'z.url()',
  'date-time': 'z.iso.datetime()',
  ipv4: 'z.ipv4()',
  ipv6: 'z.ipv6()',
};

/** Helpers of port-kafka-lambda a generated file may import. */
type Helper = 'entityInput' | 'portInput' | 'secretInput' | 'teamInput' | 'userInput';

interface Generation {
  helpers: Set<Helper>;
  warnings: string[];
}

const literal = (value: unknown): string => JSON.stringify(value);

/** A regex literal when the pattern survives as one unchanged, else `new RegExp("...")`. */
const regexLiteral = (pattern: string): string => {
  try {
    const asLiteral = new RegExp(pattern);
    if (asLiteral.source === pattern && !pattern.includes('\n')) return `/${pattern}/`;
  } catch {
    // Not a JS regex: keep the text; zod will throw when the file is loaded, which says where.
  }
  return `new RegExp(${literal(pattern)})`;
};

const lengthChecks = (min: number | undefined, max: number | undefined): string => {
  if (min !== undefined && min === max) return `.length(${min})`;
  return `${min !== undefined ? `.min(${min})` : ''}${max !== undefined ? `.max(${max})` : ''}`;
};

const stringExpression = (input: PortUserInput, path: string, gen: Generation): string => {
  const format = input.format;
  let base: string;
  if (format === 'entity') {
    gen.helpers.add('entityInput');
    const options: Record<string, unknown> = {};
    if (input.dataset !== undefined) options.dataset = input.dataset;
    if (input.sort !== undefined) options.sort = input.sort;
    const blueprint = input.blueprint ?? '';
    if (blueprint === '') gen.warnings.push(`${path}: an entity input without a blueprint; fill in the blueprint`);
    return `entityInput(${literal(blueprint)}${Object.keys(options).length > 0 ? `, ${literal(options)}` : ''})`;
  }
  if (input.enum !== undefined) {
    base = `z.enum(${literal(input.enum)})`;
    if (format !== undefined) {
      gen.helpers.add('portInput');
      base = `portInput(${base}, { format: ${literal(format)} })`;
    }
    return base;
  }
  if (format === undefined) base = 'z.string()';
  else if (FORMAT_CONSTRUCTORS[format] !== undefined) base = FORMAT_CONSTRUCTORS[format];
  else if (format === 'user' || format === 'team') {
    gen.helpers.add(format === 'user' ? 'userInput' : 'teamInput');
    base = `${format}Input()`;
  } else {
    gen.helpers.add('portInput');
    base = `portInput(z.string(), { format: ${literal(format)} })`;
  }
  base += lengthChecks(input.minLength, input.maxLength);
  if (input.pattern !== undefined) base += `.regex(${regexLiteral(input.pattern)})`;
  return base;
};

const numberExpression = (input: PortUserInput): string => {
  if (input.enum !== undefined) return `z.literal(${literal(input.enum)})`;
  let base = 'z.number()';
  if (input.minimum !== undefined) base += `.min(${input.minimum})`;
  if (input.exclusiveMinimum !== undefined) base += `.gt(${input.exclusiveMinimum})`;
  if (input.maximum !== undefined) base += `.max(${input.maximum})`;
  if (input.exclusiveMaximum !== undefined) base += `.lt(${input.exclusiveMaximum})`;
  return base;
};

const objectExpression = (input: PortUserInput, path: string, gen: Generation, indent: string): string => {
  const properties = input.properties ?? {};
  const keys = Object.keys(properties);
  const strict = input.additionalProperties === false;
  // Port lets unlisted keys through unless additionalProperties is false; so does z.looseObject.
  const factory = strict ? 'z.strictObject' : 'z.looseObject';
  if (keys.length === 0) return `${factory}({})`;
  const required = new Set(input.required ?? []);
  const inner = `${indent}  `;
  const lines = keys.map((key) => {
    const field = properties[key] as PortUserInput;
    return `${inner}${propertyKey(key)}: ${fieldExpression(field, required.has(key), `${path}.${key}`, gen, inner)},`;
  });
  return `${factory}({\n${lines.join('\n')}\n${indent}})`;
};

const baseExpression = (input: PortUserInput, path: string, gen: Generation, indent: string): string => {
  if (input.encryption !== undefined) {
    gen.helpers.add('secretInput');
    const options: string[] = [];
    if (input.type === 'object') options.push(`type: 'object'`);
    if (input.encryption !== 'aes256-gcm') options.push(`encryption: ${literal(input.encryption)}`);
    if (input.format === 'multi-line') options.push('multiLine: true');
    return `secretInput(${options.length > 0 ? `{ ${options.join(', ')} }` : ''})`;
  }
  switch (input.type) {
    case 'string':
      return stringExpression(input, path, gen);
    case 'number':
      return numberExpression(input);
    case 'boolean':
      return 'z.boolean()';
    case 'object':
      if (input.enum !== undefined) gen.warnings.push(`${path}: a select of objects is not expressed; pulled as a free object`);
      return objectExpression(input, path, gen, indent);
    case 'array': {
      const items = input.items === undefined ? 'z.unknown()' : baseExpression(input.items, `${path}[]`, gen, indent);
      if (input.enum !== undefined) gen.warnings.push(`${path}: a select of arrays is not expressed; pulled as a free array`);
      return `z.array(${items})${lengthChecks(input.minItems, input.maxItems)}`;
    }
  }
};

const propertyKey = (key: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : literal(key));

const fieldExpression = (input: PortUserInput, required: boolean, path: string, gen: Generation, indent: string): string => {
  const dropped = Object.keys(input).filter((key) => !EXPRESSED.has(key));
  if (dropped.length > 0)
    gen.warnings.push(
      `${path}: ${dropped.join(', ')} not expressed in zod (a sync removes ${dropped.length === 1 ? 'it' : 'them'} from Port)`
    );
  let text = baseExpression(input, path, gen, indent);
  const meta: Record<string, string> = {};
  if (input.title !== undefined) meta.title = input.title;
  if (input.description !== undefined) meta.description = input.description;
  if (input.icon !== undefined) meta.icon = input.icon;
  if (Object.keys(meta).length > 0) text += `.meta(${literal(meta)})`;
  const hasDefault = 'default' in input && input.default !== undefined;
  const jqDefault = hasDefault && typeof input.default === 'object' && input.default !== null && 'jqQuery' in input.default;
  if (jqDefault) gen.warnings.push(`${path}: a JQ default is not expressed in zod (a sync removes it from Port)`);
  if (hasDefault && !jqDefault) {
    if (required) gen.warnings.push(`${path}: required with a default in Port; pulled as .default(), which makes it optional`);
    text += `.default(${literal(input.default)})`;
  } else if (!required) {
    text += '.optional()';
  }
  return text;
};

interface PulledSchema {
  /** The TypeScript module text. */
  source: string;
  /** One line per thing Port had that the generated zod does not say. */
  warnings: string[];
}

interface PullTarget {
  identifier: string;
  /** The exported constant's name, e.g. `createVmInputs`. */
  constName: string;
  title?: string | null | undefined;
  /** Lines of a defineAction sketch, shown as a comment under the schema. */
  defineActionHint?: readonly string[];
}

/** The generated file: imports, a doc comment, the schema, the export. */
const toZodSource = (userInputs: PortUserInputs, target: PullTarget): PulledSchema => {
  const gen: Generation = { helpers: new Set(), warnings: [] };
  const properties = userInputs.properties;
  const requiredList = userInputs.required;
  if (requiredList !== undefined && !Array.isArray(requiredList)) {
    gen.warnings.push(
      'inputs: "required" is a JQ query in Port; every input is pulled as optional (a sync replaces the query by the list of required inputs)'
    );
  }
  const required = new Set(Array.isArray(requiredList) ? requiredList : []);
  for (const key of ['titles', 'steps'] as const) {
    if (userInputs[key] !== undefined) gen.warnings.push(`inputs: "${key}" is not expressed in zod (a sync removes it from Port)`);
  }
  // Port's order first, then any input it does not list, in its own order.
  const order = [...(userInputs.order ?? []).filter((k) => k in properties), ...Object.keys(properties)];
  const keys = [...new Set(order)];
  const lines = keys.map((key) => {
    const input = properties[key] as PortUserInput;
    return `  ${propertyKey(key)}: ${fieldExpression(input, required.has(key), `inputs.${key}`, gen, '  ')},`;
  });
  const helpers = [...gen.helpers].sort();
  const title = target.title ? ` (${target.title})` : '';
  const out = [
    "import * as z from 'zod';",
    ...(helpers.length > 0 ? [`import { ${helpers.join(', ')} } from 'port-kafka-lambda';`] : []),
    '',
    '/**',
    ` * User inputs of the Port action "${target.identifier}"${title}, pulled from Port by`,
    ` * \`port-kafka-lambda port pull ${target.identifier}\`. Use it as the action's \`inputs\`;`,
    ' * `port sync` then keeps the form in Port in step with this schema.',
    ...(gen.warnings.length > 0
      ? [' *', ' * Not expressed (a sync removes them from Port):', ...gen.warnings.map((w) => ` * - ${w}`)]
      : []),
    ' */',
    `const ${target.constName} = z.object({`,
    ...lines,
    '});',
    ...(target.defineActionHint && target.defineActionHint.length > 0 ? ['', ...target.defineActionHint.map((l) => `// ${l}`)] : []),
    '',
    `export { ${target.constName} };`,
    '',
  ];
  return { source: out.join('\n'), warnings: gen.warnings };
};

export type { PulledSchema, PullTarget };
export { toZodSource };
