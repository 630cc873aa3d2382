import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/cli/invoke/errors.js';
import { actionNames } from '../../src/cli/new-action/names.js';
import { registerAction } from '../../src/cli/new-action/register.js';
import { recommendedPayloadTemplate } from '../../src/messages/run.js';
import { type CliResult, linesOf, REPO, run, runTool } from './cli.js';
import { onlyFile, parseSummary } from './summary.js';

/**
 * A throwaway copy of the template project (its lambda/, infra/, events/,
 * tests and configs; node_modules linked, so `port-kafka-lambda` resolves to
 * this package's source) so generation never touches the repository and other
 * test runs never pick up a half-generated action. It has no packages/ folder,
 * like a project made from the template.
 */
const copyProject = (): string => {
  const root = mkdtempSync(path.join(tmpdir(), 'new-action-test-'));
  for (const p of ['lambda', 'infra', 'events', 'test/actions', 'jest.config.js', 'tsconfig.json', 'package.json', 'cdk.json']) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    cpSync(path.join(REPO, p), path.join(root, p), { recursive: true });
  }
  symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return root;
};

/** The JSON object printed after the "Paste this" line. */
const printedTemplate = (stdout: string): unknown => {
  const start = stdout.indexOf('\n{\n');
  const end = stdout.indexOf('\n}\n', start);
  return JSON.parse(stdout.slice(start + 1, end + 2));
};

describe('new-action', () => {
  let root: string;
  let generated: CliResult;
  beforeAll(async () => {
    root = copyProject();
    generated = await runTool('new-action', ['restart_service', '--root', root]);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates the handler, test and sample event and registers the action', () => {
    expect(generated.code).toBe(0);
    expect(generated.stderr).toBe('');
    for (const p of ['lambda/actions/restart-service.ts', 'test/actions/restart-service.test.ts', 'events/restart-service.json']) {
      expect(existsSync(path.join(root, p))).toBe(true);
    }
    const index = readFileSync(path.join(root, 'lambda/actions/index.ts'), 'utf8');
    expect(index).toContain("import { restartService } from './restart-service.js';");
    expect(index).toContain(
      'const actions: readonly ActionDefinition[] = [\n  createVm,\n  deployService,\n  rolloutService,\n  restartService,\n];'
    );
    // Nothing lands in the repository itself.
    expect(existsSync(path.join(REPO, 'lambda/actions/restart-service.ts'))).toBe(false);
  });

  it("prints the action's invocationMethod: the recommended payload template", () => {
    expect(printedTemplate(generated.stdout)).toEqual(recommendedPayloadTemplate('restart_service'));
  });

  it('writes a sample run in the recommended template', () => {
    const sample = JSON.parse(readFileSync(path.join(root, 'events/restart-service.json'), 'utf8')) as Record<string, unknown>;
    expect(sample).toEqual(
      expect.objectContaining({
        schema: 'port-kafka-lambda/run@1',
        action: 'restart_service',
        runId: expect.stringMatching(/^r_[A-Za-z0-9]{16}$/),
      })
    );
  });

  it('generates code that type-checks', async () => {
    const tsc = await run(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]);
    expect(tsc.stdout).toBe('');
    expect(tsc.code).toBe(0);
  }, 120_000);

  it('generates a test that passes as generated', async () => {
    const jest = await run(
      process.execPath,
      ['--experimental-vm-modules', path.join(REPO, 'node_modules/jest/bin/jest.js'), '--ci', 'test/actions/restart-service.test.ts'],
      { cwd: root }
    );
    expect(jest.stderr).toMatch(/Tests: +2 passed, 2 total/);
    expect(jest.code).toBe(0);
  }, 120_000);

  it('runs green with npm run invoke on its sample event', async () => {
    const invoked = await runTool('invoke', ['events/restart-service.json', '--json'], { cwd: root });
    expect(invoked.code).toBe(0);
    expect(onlyFile(parseSummary(invoked.stdout)).runs).toEqual([
      expect.objectContaining({
        action: 'restart_service',
        status: 'SUCCESS',
        summary: 'restart_service finished for example-target',
        logCount: 2,
      }),
    ]);
  });

  it('refuses to overwrite an existing action, in one line with exit 2', async () => {
    const before = readFileSync(path.join(root, 'lambda/actions/index.ts'), 'utf8');
    const again = await runTool('new-action', ['restart_service', '--root', root]);
    expect(again.code).toBe(2);
    expect(linesOf(again.stderr)).toEqual(['new-action: lambda/actions/restart-service.ts already exists; not overwriting it']);
    expect(readFileSync(path.join(root, 'lambda/actions/index.ts'), 'utf8')).toBe(before);
  });

  it('refuses an identifier another action file already declares', async () => {
    writeFileSync(path.join(root, 'lambda/actions/legacy.ts'), "export const legacy = { identifier: 'cleanup_volumes' };\n");
    const dup = await runTool('new-action', ['cleanup_volumes', '--root', root]);
    expect(dup.code).toBe(2);
    expect(linesOf(dup.stderr)).toEqual(['new-action: an action "cleanup_volumes" is already declared in lambda/actions/legacy.ts']);
    expect(existsSync(path.join(root, 'lambda/actions/cleanup-volumes.ts'))).toBe(false);
  });

  it('refuses an identifier an action already receives through its blueprint prefix', async () => {
    const alias = await runTool('new-action', ['vm_create_vm', '--root', root]);
    expect(alias.code).toBe(2);
    expect(linesOf(alias.stderr)).toEqual(['new-action: runs of "vm_create_vm" already go to the registered action "create_vm"']);
    expect(existsSync(path.join(root, 'lambda/actions/vm-create-vm.ts'))).toBe(false);
  });

  it('refuses an identifier Port would not accept, writing nothing', async () => {
    const bad = await runTool('new-action', ['restart service!', '--root', root]);
    expect(bad.code).toBe(2);
    expect(linesOf(bad.stderr)).toEqual([
      'new-action: "restart service!" is not a Port action identifier: use letters, digits, "_" and "-" (at most 100), e.g. restart_service',
    ]);
    expect(existsSync(path.join(root, 'lambda/actions/restart service!.ts'))).toBe(false);
  });
});

describe('action names', () => {
  it('derives the file and const names from the identifier', () => {
    expect(actionNames('restart_service')).toEqual({ identifier: 'restart_service', kebab: 'restart-service', camel: 'restartService' });
    expect(actionNames('createVM')).toEqual(expect.objectContaining({ kebab: 'create-vm', camel: 'createVm' }));
    expect(actionNames('2fa-reset').camel).toBe('action2faReset');
    expect(actionNames('delete').camel).toBe('deleteAction');
    expect(() => actionNames('___')).toThrow(InputError);
  });
});

describe('registerAction', () => {
  const index = (list: string) => `import { alpha } from './alpha.js';
import type { ActionDefinition } from './define.js';
import { zulu } from './zulu.js';

const actions: readonly ActionDefinition[] = ${list};

export { actions };
`;
  const NO_ARRAY = 'lambda/actions/index.ts exports no "actions" array (export const actions = [...]); register the action by hand';

  it('inserts the import in module order and appends to a short list on one line', async () => {
    const out = await registerAction(index('[alpha, zulu]'), actionNames('mike'));
    expect(out.split('\n').slice(0, 4)).toEqual([
      "import { alpha } from './alpha.js';",
      "import type { ActionDefinition } from './define.js';",
      "import { mike } from './mike.js';",
      "import { zulu } from './zulu.js';",
    ]);
    expect(out).toContain('const actions: readonly ActionDefinition[] = [alpha, zulu, mike];');
  });

  it('breaks a list that would get too long into one entry per line', async () => {
    const out = await registerAction(
      index('[alpha, zulu, someFairlyLongActionName, anotherFairlyLongActionName]'),
      actionNames('one_more_long_action_name')
    );
    expect(out).toContain(
      'const actions: readonly ActionDefinition[] = [\n  alpha,\n  zulu,\n  someFairlyLongActionName,\n  anotherFairlyLongActionName,\n  oneMoreLongActionName,\n];'
    );
  });

  it('appends a line to a multi-line list with comments, keeping every other byte', async () => {
    const before = `/** The registry. */
import type { ActionDefinition } from 'port-kafka-lambda';
import { alpha } from './alpha.js';
/** Zulu, last (and its comment stays with it). */
import { zulu } from './zulu.js';

// Listed by hand, in rollout order.
export const actions: readonly ActionDefinition[] = [
  alpha, // the first, of two
  /* between */ zulu // no comma after this one
];
`;
    expect(await registerAction(before, actionNames('mike'))).toBe(`/** The registry. */
import type { ActionDefinition } from 'port-kafka-lambda';
import { alpha } from './alpha.js';
import { mike } from './mike.js';
/** Zulu, last (and its comment stays with it). */
import { zulu } from './zulu.js';

// Listed by hand, in rollout order.
export const actions: readonly ActionDefinition[] = [
  alpha, // the first, of two
  /* between */ zulu, // no comma after this one
  mike
];
`);
  });

  it('keeps a trailing comma, in a multi-line list and on one line', async () => {
    const multi = `import { alpha } from './alpha.js';
import { zulu } from './zulu.js';

const list = [
    alpha,
    zulu /* a, b */,
] satisfies ActionDefinition[];

export { list as actions };
`;
    expect(await registerAction(multi, actionNames('zz_top'))).toBe(`import { alpha } from './alpha.js';
import { zulu } from './zulu.js';
import { zzTop } from './zz-top.js';

const list = [
    alpha,
    zulu /* a, b */,
    zzTop,
] satisfies ActionDefinition[];

export { list as actions };
`);
    const oneLine = await registerAction(index('[alpha, zulu,]'), actionNames('mike'));
    expect(oneLine).toContain('const actions: readonly ActionDefinition[] = [alpha, zulu, mike,];');
  });

  it('fills an empty list and adds the first import', async () => {
    expect(await registerAction('export const actions = [];\n', actionNames('mike'))).toBe(
      "import { mike } from './mike.js';\n\nexport const actions = [mike];\n"
    );
    expect(await registerAction("import { z } from 'zod';\n\nexport const actions = [\n];\n", actionNames('mike'))).toBe(
      "import { z } from 'zod';\nimport { mike } from './mike.js';\n\nexport const actions = [\n  mike,\n];\n"
    );
    expect(await registerAction('export const actions = [/* none yet */];\n', actionNames('mike'))).toContain(
      'export const actions = [/* none yet */ mike];'
    );
  });

  it('refuses an index.ts without the actions list', async () => {
    await expect(registerAction('export const actions = loadActions();\n', actionNames('mike'))).rejects.toThrow(
      /register the action by hand/
    );
    for (const file of ['export const actions = loadActions();\n', 'const actions = [alpha];\n', 'export const others = [alpha];\n', '']) {
      await expect(registerAction(file, actionNames('mike'))).rejects.toThrow(new InputError(NO_ARRAY));
    }
  });

  it('refuses a name the file already lists or imports', async () => {
    await expect(registerAction(index('[alpha, zulu]'), actionNames('zulu'))).rejects.toThrow(
      'zulu is already in the actions list of lambda/actions/index.ts'
    );
    await expect(registerAction(index('[alpha]'), actionNames('zulu'))).rejects.toThrow(
      'lambda/actions/index.ts already imports a zulu; register the action by hand'
    );
  });

  it('refuses through the command in one line with exit 2, writing nothing', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'new-action-no-array-'));
    try {
      mkdirSync(path.join(root, 'lambda/actions'), { recursive: true });
      writeFileSync(path.join(root, 'lambda/actions/index.ts'), 'export const actions = loadActions();\n');
      const refused = await runTool('new-action', ['mike', '--root', root]);
      expect(refused.code).toBe(2);
      expect(linesOf(refused.stderr)).toEqual([`new-action: ${NO_ARRAY}`]);
      expect(existsSync(path.join(root, 'lambda/actions/mike.ts'))).toBe(false);
      expect(existsSync(path.join(root, 'events'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
