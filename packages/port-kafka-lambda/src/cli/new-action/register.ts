import { InputError } from '../invoke/errors.js';
import type { ActionNames } from './names.js';

const LIST = /(const actions: readonly ActionDefinition\[\] = \[)([\s\S]*?)(\];)/;
const IMPORT_LINE = /^import (?:type )?\{[^}]*\} from '([^']+)';$/;
const MAX_LINE = 100;

/**
 * Adds the action's import (in module-path order, like the existing ones) and
 * its entry at the end of the `actions` list of lambda/actions/index.ts.
 * Refuses, rather than guesses, when the file no longer has that shape.
 */
const registerAction = (index: string, n: ActionNames): string => {
  const match = LIST.exec(index);
  if (!match) {
    throw new InputError(
      'lambda/actions/index.ts has no "const actions: readonly ActionDefinition[] = [...]" list; register the action by hand'
    );
  }
  const [whole, open = '', body = '', close = ''] = match;
  if (/\/\/|\/\*/.test(body)) {
    throw new InputError('the actions list in lambda/actions/index.ts contains comments; register the action by hand');
  }
  const names = body
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.includes(n.camel)) throw new InputError(`${n.camel} is already in the actions list of lambda/actions/index.ts`);
  names.push(n.camel);
  const oneLine = `${open}${names.join(', ')}${close}`;
  const list = oneLine.length <= MAX_LINE ? oneLine : `${open}\n${names.map((name) => `  ${name},`).join('\n')}\n${close}`;
  const withList = index.replace(whole, list);

  const lines = withList.split('\n');
  const importLine = `import { ${n.camel} } from './${n.kebab}.js';`;
  const imports = lines.flatMap((line, i) => {
    const m = IMPORT_LINE.exec(line);
    return m?.[1] ? [{ i, path: m[1] }] : [];
  });
  const path = `./${n.kebab}.js`;
  const before = imports.find((imp) => imp.path.localeCompare(path) > 0);
  const at = before ? before.i : (imports.at(-1)?.i ?? -1) + 1;
  lines.splice(at, 0, importLine);
  return lines.join('\n');
};

export { registerAction };
