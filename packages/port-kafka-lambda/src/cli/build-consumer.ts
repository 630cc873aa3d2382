/**
 * `npm run build:consumer [-- <outdir>]`: bundles the long-lived consumer into
 * one ESM file (default `dist/consumer.mjs`, plus its source map) that runs
 * with a bare `node` and no node_modules, the way a container image wants it.
 * Same esbuild settings as the Lambda asset (cdk/constructs/consumer-function.ts, cdk/bundling.ts).
 * The entry is generated: it imports the project's app and runs the consumer with it.
 */

import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER } from '../cdk/bundling.js';
import { APP_PATH_ENV, DEFAULT_APP_PATH } from './app.js';

/**
 * @platformatic/wasm-utils reads `../dist/native.wasm` relative to its own
 * module at load time. In a bundle that URL would point outside the output
 * folder, so it is rewritten to `./native.wasm` and the file is copied beside
 * the bundle.
 */
const WASM_ENTRY = /@platformatic[\\/]wasm-utils[\\/]dist[\\/]index\.js$/;
const wasmBesideBundle: Plugin = {
  name: 'wasm-beside-bundle',
  setup(b) {
    b.onLoad({ filter: WASM_ENTRY }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const rewritten = source.replace("'../dist/native.wasm'", "'./native.wasm'");
      if (rewritten === source) throw new Error(`${args.path} no longer loads '../dist/native.wasm'; update tools/build-consumer.ts`);
      return { contents: rewritten, loader: 'js' };
    });
  },
};

/**
 * Durable actions run in the consumer under the durable SDK's local runner,
 * whose checkpoint server is a worker thread loaded from
 * `./checkpoint-server/index.mjs` beside the module that starts it: in the
 * bundle, beside consumer.mjs. So that file is bundled too. Without the
 * package installed the consumer still builds; a durable run then fails with
 * the import error.
 */
const DURABLE_TESTING = '@aws/durable-execution-sdk-js-testing';
const durableWorkerEntry = (): string | undefined => {
  try {
    const main = createRequire(import.meta.url).resolve(DURABLE_TESTING);
    return path.resolve(path.dirname(main), '..', 'dist', 'checkpoint-server', 'index.mjs');
  } catch {
    return undefined;
  }
};

const buildConsumer = async (
  outdir: string,
  root: string = process.cwd(),
  appPath: string = process.env[APP_PATH_ENV] || DEFAULT_APP_PATH
): Promise<string> => {
  const outfile = path.resolve(outdir, 'consumer.mjs');
  const worker = durableWorkerEntry();
  await build({
    ...(worker === undefined ? { external: [DURABLE_TESTING] } : {}),
    stdin: {
      contents: `import app from ${JSON.stringify(`./${appPath}`)};\nimport { runConsumer } from 'port-kafka-lambda/consumer';\nawait runConsumer(app, process.argv.slice(2));\n`,
      resolveDir: root,
      sourcefile: 'consumer-entry.ts',
      loader: 'ts',
    },
    conditions: [...BUNDLE_CONDITIONS],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    // Some dependencies are CommonJS and call require(); ESM output has none without this.
    banner: { js: CREATE_REQUIRE_BANNER },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    charset: 'utf8',
    logLevel: 'warning',
    plugins: [wasmBesideBundle],
  });
  if (worker !== undefined) {
    await build({
      entryPoints: [worker],
      outfile: path.resolve(outdir, 'checkpoint-server', 'index.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: { js: CREATE_REQUIRE_BANNER },
      minify: true,
      charset: 'utf8',
      logLevel: 'warning',
    });
  }
  const require = createRequire(import.meta.url);
  const wasm = path.join(path.dirname(require.resolve('@platformatic/wasm-utils')), 'native.wasm');
  copyFileSync(wasm, path.resolve(outdir, 'native.wasm'));
  return outfile;
};

/** `port-kafka-lambda build-consumer [outdir]`: prints the bundle's path and size. */
const runBuildConsumer = async (argv: readonly string[]): Promise<number> => {
  const outfile = await buildConsumer(argv[0] ?? path.resolve('dist'));
  process.stdout.write(`${path.relative(process.cwd(), outfile)} ${(statSync(outfile).size / 1024).toFixed(0)} kB\n`);
  return 0;
};

export { buildConsumer, runBuildConsumer };
