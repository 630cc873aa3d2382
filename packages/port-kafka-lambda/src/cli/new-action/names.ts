import { InputError } from '../invoke/errors.js';

/** Port action identifiers: letters, digits, `_` and `-`. */
const IDENTIFIER = /^[A-Za-z0-9_-]{1,100}$/;

// Names a generated `const` cannot take: reserved words, and the names the
// action file and index.ts already use.
const TAKEN = new Set(
  (
    'arguments await break case catch class const continue debugger default delete do else enum eval export extends ' +
    'false finally for function if implements import in instanceof interface let new null package private protected ' +
    'public return static super switch this throw true try typeof var void while with yield ' +
    'actions ActionDefinition defineAction z'
  ).split(' ')
);

interface ActionNames {
  /** As in Port, e.g. `restart_service`. */
  identifier: string;
  /** File stem, e.g. `restart-service`. */
  kebab: string;
  /** Exported const, e.g. `restartService`. */
  camel: string;
}

/** Validates a Port action identifier and derives the file and variable names from it. */
const actionNames = (identifier: string): ActionNames => {
  if (!IDENTIFIER.test(identifier)) {
    throw new InputError(
      `"${identifier}" is not a Port action identifier: use letters, digits, "_" and "-" (at most 100), e.g. restart_service`
    );
  }
  const kebab = identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  if (kebab === '') throw new InputError(`"${identifier}" needs at least one letter or digit`);
  const parts = kebab.split('-');
  let camel = parts.map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1))).join('');
  if (/^[0-9]/.test(camel)) camel = `action${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;
  if (TAKEN.has(camel)) camel = `${camel}Action`;
  return { identifier, kebab, camel };
};

export type { ActionNames };
export { actionNames };
