/**
 * The package as a team gets it: `npm pack` (whose prepack builds dist/), the
 * tarball installed into a fresh project outside this repository, the team's
 * handler bundled the way a Lambda asset is, and the `port-kafka-lambda`
 * command run from the installed bin under plain Node. Every other test
 * resolves the package to its TypeScript source; this one proves the built
 * JavaScript, the `exports` map and the `files` list are enough on their own.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build, type Metafile } from 'esbuild';
import { CREATE_REQUIRE_BANNER, LAMBDA_BUNDLE } from '../../src/cdk/bundling.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { ORG_ID, runsEvent } from '../../src/testing/factories.js';
import { onlyFile, parseSummary } from '../cli/summary.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const PACKAGE_DIR = path.join(REPO, 'packages', 'port-kafka-lambda');
const PACKAGE = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
};

/** Pack, install and build on 2 busy cores; a cold npm cache makes the install the long part. */
const SETUP_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 60_000;

const isInside = (dir: string, file: string): boolean => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/**
 * npm itself, run by this Node (24, from the repository's `node` package)
 * rather than by whatever `npm` launcher is first on PATH: the package needs
 * Node ≥ 22.22. Under `npm test`/`npx jest`, npm names its own entry in
 * npm_execpath; otherwise the npm beside a system Node, or the one on PATH.
 */
const npmCli = (): string => {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm !== undefined && path.basename(fromNpm) === 'npm-cli.js') return fromNpm;
  const besideNode = path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');
  if (existsSync(besideNode)) return besideNode;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const launcher = path.join(dir, 'npm');
    if (!existsSync(launcher)) continue;
    const cli = path.join(path.dirname(realpathSync(launcher)), 'npm-cli.js');
    if (existsSync(cli)) return cli;
  }
  throw new Error('npm-cli.js not found: run the tests with npm (npm test) or put npm on PATH');
};

/**
 * The environment of every child: this Node first on PATH (shebangs and
 * install scripts run Node 24) and no other PATH entry into the repository,
 * so the temporary project cannot reach its node_modules/.bin. The variables
 * an enclosing `npm test` sets about *its* project (prefix, workspace, package)
 * are dropped; registry, cache and certificate settings are kept.
 */
const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^npm_(package|lifecycle)_|^npm_(command|execpath|node_execpath)$|^npm_config_(local_prefix|workspaces?|include_workspace_root)$/.test(
        key
      )
    )
      continue;
    if (['INIT_CWD', 'NODE', 'NODE_OPTIONS', 'JEST_WORKER_ID'].includes(key) || key.startsWith('PORT_')) continue;
    env[key] = value;
  }
  const inherited = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '' && !isInside(REPO, dir));
  env.PATH = [path.dirname(process.execPath), ...inherited].join(path.delimiter);
  return { ...env, ...extra };
};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a child without blocking this process, which serves the Port emulator the bundle talks to. */
const run = (args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = childEnv()) =>
  new Promise<Result>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });

/** Runs a step that must succeed; its output goes into the failure message. */
const mustRun = async (what: string, args: readonly string[], cwd: string): Promise<Result> => {
  const result = await run(args, cwd);
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
};

/** Every file under a folder, relative to it, with forward slashes. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();

const RUN_ID = 'r_PackProofHello01';

/** A run in Port's recommended payload template (see src/messages/run.ts and events/). */
const HELLO_RUN = {
  schema: 'port-kafka-lambda/run@1',
  runId: RUN_ID,
  action: 'say_hello',
  blueprint: 'service',
  entity: null,
  inputs: { name: 'Ada' },
  encryptedInputs: [],
  trigger: {
    by: { orgId: ORG_ID, userId: 'auth0|638879fa62c686d381b36ecb', user: { email: 'ada@example.com' } },
    origin: 'UI',
    at: '2026-11-22T14:02:11.000Z',
    operation: 'DAY-2',
  },
  event: null,
};

/** The project a team would write, importing only the published entry points. */
const PROJECT_FILES: Record<string, string> = {
  'lambda/actions/hello.ts': `import * as z from 'zod';
import { defineAction } from 'port-kafka-lambda';

export const hello = defineAction({
  identifier: 'say_hello',
  blueprint: 'service',
  inputs: z.object({ name: z.string().min(1) }),
  async handler({ inputs }, ctx) {
    await ctx.log(\`Greeting \${inputs.name}\`);
    return { summary: \`Hello, \${inputs.name}\` };
  },
});
`,
  'lambda/app.ts': `import { defineApp } from 'port-kafka-lambda';
import { hello } from './actions/hello.js';

export default defineApp({ actions: [hello] });
`,
  'lambda/handler.ts': `import { createLambdaHandler } from 'port-kafka-lambda';
import app from './app.js';

export const handler = createLambdaHandler(app);
`,
  'events/hello.json': `${JSON.stringify(HELLO_RUN, null, 2)}\n`,
  // Type-checked only: if the published declarations were missing or typed
  // loosely, the expected errors would not occur and tsc would fail on that.
  'types/check.ts': `import * as z from 'zod';
import { defineAction, defineApp } from 'port-kafka-lambda';
import { createHarness } from 'port-kafka-lambda/testing';

defineAction({
  identifier: 'typed',
  inputs: z.object({ count: z.number() }),
  async handler({ inputs }) {
    // @ts-expect-error inputs.count is a number, from the schema
    const text: string = inputs.count;
    return { summary: text };
  },
});

// @ts-expect-error an app lists its actions
defineApp({});

export type Harness = Awaited<ReturnType<typeof createHarness>>;
`,
  'tsconfig.json': `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      include: ['lambda', 'types'],
    },
    null,
    2
  )}\n`,
};

/**
 * Imports the bundle as Lambda would, then calls its `handler` once with the
 * event in argv[3]; what it learnt goes to the file in argv[4], because the
 * handler's JSON logs share stdout.
 */
const INVOKE_BUNDLE = `import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [bundle, eventFile, outFile] = process.argv.slice(2);
const mod = await import(pathToFileURL(bundle).href);
const start = Date.now();
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'pack-proof',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:pack-proof',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/pack-proof',
  logStreamName: '2026/11/25/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => Math.max(0, 60000 - (Date.now() - start)),
  done() {}, fail() {}, succeed() {},
};
const response = await mod.handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
writeFileSync(outFile, JSON.stringify({ exports: Object.keys(mod), handlerType: typeof mod.handler, response }));
`;

describe('the packed package, installed in a project outside the repository', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let installed: string;
  let bundleFile: string;
  let bundleInputs: Metafile['inputs'];

  beforeAll(async () => {
    // realpath: on some systems the temporary folder is reached through a link.
    work = realpathSync(mkdtempSync(path.join(tmpdir(), 'port-kafka-lambda-pack-')));
    const packDir = path.join(work, 'pack');
    project = path.join(work, 'project');
    mkdirSync(packDir);
    mkdirSync(project);
    const npm = npmCli();

    await mustRun('npm pack', [npm, 'pack', '-w', PACKAGE.name, '--pack-destination', packDir], REPO);
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    tarball = path.join(packDir, tarballs[0] ?? '');

    const manifest = {
      name: 'pack-proof',
      private: true,
      type: 'module',
      dependencies: { [PACKAGE.name]: `file:${tarball}`, zod: PACKAGE.dependencies.zod },
    };
    writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const [name, content] of Object.entries(PROJECT_FILES)) {
      mkdirSync(path.dirname(path.join(project, name)), { recursive: true });
      writeFileSync(path.join(project, name), content);
    }
    await mustRun('npm install', [npm, 'install', '--prefer-offline', '--no-audit', '--no-fund'], project);
    installed = path.join(project, 'node_modules', PACKAGE.name);

    // The Lambda asset's settings (cdk/bundling.ts) without the source
    // condition: a project that never heard of it gets dist/. The AWS SDK is
    // left out as in the asset, and the bundle runs where no node_modules can be
    // found, as in Lambda before a client is first used.
    bundleFile = path.join(work, 'bundle', 'handler.mjs');
    const result = await build({
      entryPoints: [path.join(project, 'lambda', 'handler.ts')],
      absWorkingDir: project,
      outfile: bundleFile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: LAMBDA_BUNDLE.target,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      external: [...LAMBDA_BUNDLE.externalModules],
      banner: { js: CREATE_REQUIRE_BANNER },
      minify: LAMBDA_BUNDLE.minify,
      charset: 'utf8',
      metafile: true,
      logLevel: 'silent',
    });
    bundleInputs = result.metafile.inputs;
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('ships bin/, dist/, src/, README.md and package.json, and no tests or benchmarks', () => {
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'bin', 'dist', 'package.json', 'src']);
    const files = filesUnder(installed);
    expect(files.filter((f) => /(^|\/)(test|bench)\//.test(f) || /\.test\.[cm]?[jt]s$/.test(f))).toEqual([]);
    // Each entry point in the exports map has its JavaScript, declarations and map.
    for (const entry of ['index', 'cdk/index', 'consumer/index', 'testing/index', 'cli/main']) {
      expect(files).toEqual(expect.arrayContaining([`dist/${entry}.js`, `dist/${entry}.d.ts`, `dist/${entry}.js.map`]));
    }
    expect(files).toContain('bin/port-kafka-lambda.js');
    // A guard against shipping node_modules, coverage or the Kafka jars by accident.
    expect(statSync(tarball).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('is installed from the tarball: a real folder, and nothing in the project leads into the repository', () => {
    const entry = lstatSync(installed);
    expect(entry.isSymbolicLink()).toBe(false);
    expect(entry.isDirectory()).toBe(true);
    const lockText = readFileSync(path.join(project, 'package-lock.json'), 'utf8');
    const lock = JSON.parse(lockText) as { packages: Record<string, { resolved?: string; link?: boolean }> };
    const locked = lock.packages[`node_modules/${PACKAGE.name}`];
    expect(locked?.link).toBeUndefined();
    expect(path.resolve(project, (locked?.resolved ?? '').replace(/^file:/, ''))).toBe(tarball);
    expect(lockText).not.toContain(REPO);
    const links = readdirSync(project, { recursive: true, withFileTypes: true })
      .filter((e) => e.isSymbolicLink())
      .map((e) => path.join(e.parentPath, e.name));
    // npm links the command, so the check below has something to look at.
    expect(links).toContain(path.join(project, 'node_modules', '.bin', 'port-kafka-lambda'));
    expect(links.filter((link) => !existsSync(link) || isInside(REPO, realpathSync(link)))).toEqual([]);
  });

  it(
    'bundles lambda/handler.ts from the built JavaScript into a module that exports a working handler',
    async () => {
      const inputs = Object.keys(bundleInputs);
      expect(inputs).toContain(`node_modules/${PACKAGE.name}/dist/lambda.js`);
      expect(
        inputs.filter((i) => i.startsWith(`node_modules/${PACKAGE.name}/`) && !i.startsWith(`node_modules/${PACKAGE.name}/dist/`))
      ).toEqual([]);
      expect(inputs.filter((i) => isInside(REPO, path.resolve(project, i)))).toEqual([]);
      // Lambda-safe: neither the CDK nor the Kafka client nor the local tools ride along.
      expect(inputs.filter((i) => /node_modules\/(aws-cdk-lib|@platformatic\/kafka|esbuild|tsx)\//.test(i))).toEqual([]);

      const emulator: PortEmulator = await startPortEmulator();
      try {
        emulator.createRun({ id: RUN_ID, action: 'say_hello' });
        writeFileSync(path.join(work, 'invoke-bundle.mjs'), INVOKE_BUNDLE);
        writeFileSync(path.join(work, 'event.json'), JSON.stringify(runsEvent([HELLO_RUN])));
        const out = path.join(work, 'invoked.json');
        const env = childEnv({
          PORT_ORG_ID: ORG_ID,
          PORT_API_URL: emulator.url,
          PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
          PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
        });
        const child = await run([path.join(work, 'invoke-bundle.mjs'), bundleFile, path.join(work, 'event.json'), out], work, env);
        expect({ code: child.code, stderr: child.stderr }).toEqual({ code: 0, stderr: '' });
        const invoked = JSON.parse(readFileSync(out, 'utf8')) as { exports: string[]; handlerType: string; response: unknown };
        expect(invoked).toEqual({ exports: ['handler'], handlerType: 'function', response: { batchItemFailures: [] } });
        const reported = emulator.getRun(RUN_ID);
        expect({ status: reported?.status, summary: reported?.summary }).toEqual({ status: 'SUCCESS', summary: 'Hello, Ada' });
        expect(emulator.logs(RUN_ID).map((l) => l.message)).toContain('Greeting Ada');
      } finally {
        await emulator.close();
      }
    },
    STEP_TIMEOUT_MS
  );

  it(
    'type-checks a project against the published declarations',
    async () => {
      // The repository's compiler, but resolution starts from the project, so the types come from its node_modules.
      const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
      const { code, stdout, stderr } = await run([tsc, '-p', 'tsconfig.json'], project);
      expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
    },
    STEP_TIMEOUT_MS
  );

  it(
    'runs `npx port-kafka-lambda invoke` from the installed bin under plain Node, loading the TypeScript app',
    async () => {
      const { code, stdout, stderr } = await run(
        [npmCli(), 'exec', '--no', '--', PACKAGE.name, 'invoke', 'events/hello.json', '--json'],
        project
      );
      expect(code).toBe(0);
      // --json leaves stderr the one line naming the target; no npm or loader warning joins it.
      expect(stderr.split('\n').filter((l) => l !== '')).toEqual([
        expect.stringMatching(/^Using the embedded Port API emulator at http:\/\/127\.0\.0\.1:\d+ /),
      ]);
      const summary = parseSummary(stdout);
      expect(summary.ok).toBe(true);
      expect(summary.target.kind).toBe('emulator');
      const file = onlyFile(summary);
      expect(file.file).toBe('events/hello.json');
      expect(file.runs).toEqual([expect.objectContaining({ id: RUN_ID, action: 'say_hello', status: 'SUCCESS', summary: 'Hello, Ada' })]);
      expect(file.runs[0]?.logs).toContain('Greeting Ada');
    },
    STEP_TIMEOUT_MS
  );
});
