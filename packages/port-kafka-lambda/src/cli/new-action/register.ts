import type ts from 'typescript';
import { InputError } from '../invoke/errors.js';
import type { ActionNames } from './names.js';

/** A one-line list longer than this is broken into one entry per line. */
const MAX_LINE = 100;
const INDEX = 'lambda/actions/index.ts';

/** Replace `[start, end)` of the text with `text`; edits never overlap. */
interface TextEdit {
  start: number;
  end: number;
  text: string;
}

type TypeScript = typeof ts;

/**
 * The compiler is loaded only by this command: it is an optional peer
 * dependency, and the rest of the CLI (and every Lambda bundle) does without it.
 */
const loadTypeScript = async (): Promise<TypeScript> => {
  try {
    return (await import('typescript')).default;
  } catch {
    throw new InputError(`editing ${INDEX} needs the typescript package: npm install --save-dev typescript`);
  }
};

/** Strips the wrappers an array literal may sit in: `[...] as const`, `satisfies T`, `<T>[...]`, parentheses. */
const unwrap = (typescript: TypeScript, node: ts.Expression): ts.Expression => {
  let current = node;
  while (
    typescript.isParenthesizedExpression(current) ||
    typescript.isAsExpression(current) ||
    typescript.isSatisfiesExpression(current) ||
    typescript.isTypeAssertionExpression(current)
  ) {
    current = current.expression;
  }
  return current;
};

const isExported = (typescript: TypeScript, statement: ts.VariableStatement): boolean =>
  statement.modifiers?.some((m) => m.kind === typescript.SyntaxKind.ExportKeyword) ?? false;

/**
 * The array literal the module exports as `actions`: `export const actions = [...]`,
 * or a top-level `const <name> = [...]` exported as `actions` by `export { <name> as actions }`.
 */
const findActionsArray = (typescript: TypeScript, source: ts.SourceFile): ts.ArrayLiteralExpression | undefined => {
  // Local names exported as `actions` through `export { ... }` lists (without `from`).
  const locals = new Set<string>();
  for (const statement of source.statements) {
    if (!typescript.isExportDeclaration(statement) || statement.moduleSpecifier || statement.isTypeOnly) continue;
    const clause = statement.exportClause;
    if (!clause || !typescript.isNamedExports(clause)) continue;
    for (const spec of clause.elements) {
      if (!spec.isTypeOnly && spec.name.text === 'actions') locals.add((spec.propertyName ?? spec.name).text);
    }
  }
  for (const statement of source.statements) {
    if (!typescript.isVariableStatement(statement)) continue;
    const exported = isExported(typescript, statement);
    for (const declaration of statement.declarationList.declarations) {
      if (!typescript.isIdentifier(declaration.name) || !declaration.initializer) continue;
      const name = declaration.name.text;
      if (!(exported ? name === 'actions' : locals.has(name))) continue;
      const array = unwrap(typescript, declaration.initializer);
      if (typescript.isArrayLiteralExpression(array)) return array;
    }
  }
  return undefined;
};

/** The start of the line `pos` is on. */
const lineStart = (text: string, pos: number): number => text.lastIndexOf('\n', pos - 1) + 1;

/** The whitespace a line starts with. */
const indentOf = (text: string, pos: number): string => /^[ \t]*/.exec(text.slice(lineStart(text, pos)))?.[0] ?? '';

/** The end of the line `pos` is on (before its line break). */
const lineEnd = (text: string, pos: number): number => {
  const end = text.indexOf('\n', pos);
  return end === -1 ? text.length : end;
};

/** The first token at or after `pos`, trivia skipped. */
const tokenAfter = (typescript: TypeScript, text: string, pos: number): { kind: ts.SyntaxKind; end: number } => {
  const scanner = typescript.createScanner(typescript.ScriptTarget.Latest, true, typescript.LanguageVariant.Standard, text, undefined, pos);
  const kind = scanner.scan();
  return { kind, end: scanner.getTokenEnd() };
};

/** True when `[start, end)` holds a comment (strings and template text that look like one do not count). */
const hasComments = (typescript: TypeScript, text: string, start: number, end: number): boolean => {
  const scanner = typescript.createScanner(
    typescript.ScriptTarget.Latest,
    false,
    typescript.LanguageVariant.Standard,
    text,
    undefined,
    start,
    end - start
  );
  for (let kind = scanner.scan(); kind !== typescript.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === typescript.SyntaxKind.SingleLineCommentTrivia || kind === typescript.SyntaxKind.MultiLineCommentTrivia) return true;
  }
  return false;
};

/**
 * The edits that append `name` to the array. A one-line list stays on one line
 * while it fits MAX_LINE, else becomes one entry per line; a list written one
 * entry per line gets a line of its own, after any comment closing the last
 * entry's line. Trailing commas are kept as the list has them.
 */
const appendElement = (typescript: TypeScript, source: ts.SourceFile, array: ts.ArrayLiteralExpression, name: string): TextEdit[] => {
  const text = source.text;
  const elements = array.elements;
  const open = array.getStart(source);
  const close = array.end - 1;
  const last = elements.at(-1);
  const multiLine = (pos: number) => source.getLineAndCharacterOfPosition(pos).line > source.getLineAndCharacterOfPosition(open).line;

  if (!last) {
    if (!multiLine(close)) {
      // `[]`, or `[/* none yet */]` whose comment stays in front of the entry.
      const spaced = hasComments(typescript, text, open, array.end) && !/\s/.test(text.charAt(close - 1));
      return [{ start: close, end: close, text: `${spaced ? ' ' : ''}${name}` }];
    }
    // `[\n]` or a list holding only comments: a line of its own, before the closing bracket's line.
    const indent = `${indentOf(text, open)}  `;
    return [{ start: lineStart(text, close), end: lineStart(text, close), text: `${indent}${name},\n` }];
  }

  const trailingComma = elements.hasTrailingComma;
  // Where the last entry's own text ends: past its comma when there is one (a scanner, so a comma in a comment does not count).
  const comma = tokenAfter(typescript, text, last.end);
  const afterLast = trailingComma && comma.kind === typescript.SyntaxKind.CommaToken ? comma.end : last.end;

  if (multiLine(last.getStart(source))) {
    const sameLineComments = typescript.getTrailingCommentRanges(text, afterLast) ?? [];
    const at = sameLineComments.at(-1)?.end ?? afterLast;
    const line = `\n${indentOf(text, last.getStart(source))}${name}${trailingComma ? ',' : ''}`;
    if (trailingComma) return [{ start: at, end: at, text: line }];
    // No comma after the last entry yet: it gets one; one edit when nothing stands between them.
    return at === last.end
      ? [{ start: at, end: at, text: `,${line}` }]
      : [
          { start: last.end, end: last.end, text: ',' },
          { start: at, end: at, text: line },
        ];
  }

  // One line: measure the line the list ends on once the entry is added.
  const inserted = trailingComma ? ` ${name},` : `, ${name}`;
  const lineLength = lineEnd(text, close) - lineStart(text, open) + inserted.length;
  // Rebuilding the list one entry per line would lose its comments: such a list keeps its one line.
  if (lineLength <= MAX_LINE || hasComments(typescript, text, open, array.end) || multiLine(close))
    return [{ start: afterLast, end: afterLast, text: inserted }];
  const indent = `${indentOf(text, open)}  `;
  const entries = [...elements.map((e) => e.getText(source)), name].map((entry) => `${indent}${entry},\n`).join('');
  return [{ start: open + 1, end: close, text: `\n${entries}${indentOf(text, open)}` }];
};

/**
 * The edit that adds `import { name } from '<path>'`: among the relative
 * imports in module-path order (before the first whose path sorts after it,
 * with the comment above that one), else after the last import.
 */
const addImport = (typescript: TypeScript, source: ts.SourceFile, name: string, path: string): TextEdit => {
  const text = source.text;
  const declaration = `import { ${name} } from '${path}';`;
  const imports = source.statements.filter(typescript.isImportDeclaration);
  const relative = imports.filter((i) => typescript.isStringLiteral(i.moduleSpecifier) && i.moduleSpecifier.text.startsWith('.'));
  const next = relative.find((i) => typescript.isStringLiteral(i.moduleSpecifier) && i.moduleSpecifier.text.localeCompare(path) > 0);
  if (next) {
    // The file's first statement carries the file header as leading comments: those stay on top.
    const comments = next === source.statements[0] ? [] : (typescript.getLeadingCommentRanges(text, next.pos) ?? []);
    const at = lineStart(text, comments[0]?.pos ?? next.getStart(source));
    return { start: at, end: at, text: `${declaration}\n` };
  }
  const after = relative.at(-1) ?? imports.at(-1);
  if (after) return { start: after.end, end: after.end, text: `\n${declaration}` };
  const first = source.statements[0];
  const at = first ? lineStart(text, first.getStart(source)) : text.length;
  return { start: at, end: at, text: `${declaration}\n\n` };
};

/**
 * Adds the action's import and its entry at the end of the exported `actions`
 * array of lambda/actions/index.ts. The file is parsed with the TypeScript
 * compiler and edited at the array's and the imports' positions, so every
 * other byte (comments, formatting, other code) stays as the team wrote it.
 * Refuses, rather than guesses, when the module exports no `actions` array
 * literal, or already lists or imports the name.
 */
const registerAction = async (index: string, n: ActionNames): Promise<string> => {
  const typescript = await loadTypeScript();
  const source = typescript.createSourceFile(INDEX, index, typescript.ScriptTarget.Latest, true, typescript.ScriptKind.TS);
  const array = findActionsArray(typescript, source);
  if (!array) {
    throw new InputError(`${INDEX} exports no "actions" array (export const actions = [...]); register the action by hand`);
  }
  if (array.elements.some((e) => typescript.isIdentifier(e) && e.text === n.camel)) {
    throw new InputError(`${n.camel} is already in the actions list of ${INDEX}`);
  }
  const bound = source.statements.filter(typescript.isImportDeclaration).some((i) => {
    const bindings = i.importClause?.namedBindings;
    return (
      i.importClause?.name?.text === n.camel ||
      (bindings !== undefined && typescript.isNamedImports(bindings) && bindings.elements.some((e) => e.name.text === n.camel))
    );
  });
  if (bound) throw new InputError(`${INDEX} already imports a ${n.camel}; register the action by hand`);

  const edits = [...appendElement(typescript, source, array, n.camel), addImport(typescript, source, n.camel, `./${n.kebab}.js`)];
  // Applied from the end so that earlier positions stay valid.
  return edits
    .sort((a, b) => b.start - a.start)
    .reduce((text, edit) => text.slice(0, edit.start) + edit.text + text.slice(edit.end), index);
};

export { registerAction };
