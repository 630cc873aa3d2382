import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActionDefinition } from '../../actions/define.js';
import { createActionRegistry } from '../../actions/registry.js';
import { InputError } from '../invoke/errors.js';
import { type ActionNames, actionNames } from './names.js';
import { registerAction } from './register.js';
import { actionFile, sampleEvent, testFile } from './templates.js';

/** The example org of the bundled samples, used when PORT_ORG_ID is not set. */
const SAMPLE_ORG_ID = 'org_sYG4DOJZNGy8bYnt';

interface ScaffoldOptions {
  /** Project root to write into (the repository by default; tests use a copy). */
  root: string;
  orgId?: string;
  now?: () => Date;
}

interface Scaffolded {
  names: ActionNames;
  /** Paths relative to the root, in the order written. */
  created: string[];
  modified: string[];
}

const exists = async (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false
  );

/** Port run ids look like r_ followed by 16 letters and digits. */
const newRunId = (): string =>
  `r_${randomBytes(12)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .padEnd(16, '0')
    .slice(0, 16)}`;

/** Finds the action file that already declares this identifier, if any. */
const declaredIn = async (actionsDir: string, identifier: string): Promise<string | undefined> => {
  const declaration = new RegExp(`identifier:\\s*['"\`]${identifier}['"\`]`);
  for (const name of (await readdir(actionsDir)).filter((f) => f.endsWith('.ts')).sort()) {
    if (declaration.test(await readFile(path.join(actionsDir, name), 'utf8'))) return name;
  }
  return undefined;
};

/**
 * The registered action that would already receive runs of this identifier,
 * aliases included (`vm_create_vm` reaches `create_vm` on blueprint `vm`).
 * Loads the root's own actions list; when it does not load, the file checks
 * above are all there is.
 */
const handledBy = async (indexFile: string, identifier: string): Promise<string | undefined> => {
  let loaded: { actions?: readonly ActionDefinition[] };
  try {
    loaded = (await import(pathToFileURL(indexFile).href)) as { actions?: readonly ActionDefinition[] };
  } catch {
    return undefined;
  }
  // The registry keys every identifier, alias and `<blueprint>_<identifier>` form.
  return createActionRegistry(loaded.actions ?? []).resolve(identifier, null)?.identifier;
};

/**
 * Creates the action's handler, test and sample event and registers the
 * action. Everything is checked and composed first: when anything is wrong
 * (bad identifier, a file exists, the action is already declared, index.ts
 * has an unexpected shape) nothing is written.
 */
const scaffoldAction = async (identifier: string, options: ScaffoldOptions): Promise<Scaffolded> => {
  const n = actionNames(identifier);
  const rel = {
    action: `lambda/actions/${n.kebab}.ts`,
    index: 'lambda/actions/index.ts',
    test: `test/actions/${n.kebab}.test.ts`,
    event: `events/${n.kebab}.json`,
  };
  const abs = (p: string) => path.join(options.root, p);
  if (!(await exists(abs(rel.index)))) throw new InputError(`${abs(rel.index)} not found: is --root the project's root?`);
  for (const p of [rel.action, rel.test, rel.event]) {
    if (await exists(abs(p))) throw new InputError(`${p} already exists; not overwriting it`);
  }
  const declared = await declaredIn(abs('lambda/actions'), identifier);
  if (declared) throw new InputError(`an action "${identifier}" is already declared in lambda/actions/${declared}`);
  const existing = await handledBy(abs(rel.index), identifier);
  if (existing) throw new InputError(`runs of "${identifier}" already go to the registered action "${existing}"`);

  const index = await registerAction(await readFile(abs(rel.index), 'utf8'), n);
  const at = (options.now?.() ?? new Date()).toISOString();
  const files: [string, string][] = [
    [rel.action, actionFile(n)],
    [rel.test, testFile(n)],
    [rel.event, sampleEvent(n, newRunId(), options.orgId ?? SAMPLE_ORG_ID, at)],
  ];
  for (const [p, content] of files) {
    await mkdir(path.dirname(abs(p)), { recursive: true });
    // 'wx' fails instead of overwriting a file that appeared since the check.
    await writeFile(abs(p), content, { flag: 'wx' });
  }
  await writeFile(abs(rel.index), index);
  return { names: n, created: files.map(([p]) => p), modified: [rel.index] };
};

export type { Scaffolded, ScaffoldOptions };
export { SAMPLE_ORG_ID, scaffoldAction };
