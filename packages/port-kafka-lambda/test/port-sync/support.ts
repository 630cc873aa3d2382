import * as z from 'zod';
import * as helpers from '../../src/actions/inputs.js';

/**
 * Evaluates a file `port pull` generated, without writing it to disk: its two
 * import lines are replaced by the very modules they name (zod and the
 * package's input helpers), and the schema constant is returned. The CLI tests
 * load generated files the real way (a project importing them).
 */
const evaluateInputsSource = async (source: string, constName: string): Promise<z.ZodType> => {
  const body = source
    .split('\n')
    .filter((line) => !line.startsWith('import ') && !line.startsWith('export '))
    .join('\n');
  const names = ['entityInput', 'portInput', 'secretInput', 'teamInput', 'userInput'] as const;
  const build = new Function('z', ...names, `${body}\nreturn ${constName};`) as (...args: unknown[]) => z.ZodType;
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: a test evaluating generated source looks the helpers up by the names that source uses.
  return build(z, ...names.map((name) => helpers[name]));
};

export { evaluateInputsSource };
