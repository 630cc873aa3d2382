// `npm run bench`: prints the handler's figures. Not a test: nothing here
// passes or fails; it measures, on this machine, in one run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER, LAMBDA_BUNDLE, TRACER_MODULES } from '../src/cdk/bundling.js';
import { describeFirstRuns, measureFirstRuns } from './first-run.js';
import { powertoolsHandler } from './powertools.js';
import { baseline, lambdaContext, routingHandler, runBatch } from './routing.js';

/** The repository root: the template whose handler is bundled and measured. */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'port-kafka-bench-'));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * Records per second of `fn`: after a warm-up, three rounds of at least `ms`
 * each, best round kept (the usual way to keep one GC pause or a noisy
 * neighbour from deciding the figure; both sides get the same treatment).
 */
const rate = async (records: number, fn: () => unknown, ms = 700): Promise<number> => {
  for (let i = 0; i < 5; i++) await fn();
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      await fn();
      n++;
    }
    best = Math.max(best, (n * records) / ((performance.now() - start) / 1000));
  }
  return best;
};

/**
 * Runs `fn` with stdout writes discarded: the metrics variant writes its EMF
 * lines there, which would flood the report. What is measured is building
 * them (counting, Powertools' serialization, the console call); the pipe
 * write itself is the Lambda runtime's.
 */
const discardingStdout = async <T>(fn: () => Promise<T>): Promise<T> => {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
};

const throughput = async () => {
  console.log(
    '\n## Per-record cost: decode + validate + route (Port calls stubbed out) vs base64 + JSON.parse, and vs Powertools kafkaConsumer + zod'
  );
  console.log(
    'batch size | handler µs/rec | + metrics µs/rec | baseline µs/rec | Powertools+zod µs/rec | vs baseline | vs Powertools+zod (goal ≤ 1.2x)'
  );
  const handler = routingHandler();
  const metered = routingHandler(undefined, { metrics: true });
  const powertools = powertoolsHandler();
  for (const size of [1, 100, 10_000]) {
    const event = runBatch(size);
    const context = lambdaContext(600_000);
    const h = await rate(size, () => handler(event, context));
    const m = await discardingStdout(() => rate(size, () => metered(event, context)));
    const b = await rate(size, () => baseline(event));
    const p = await rate(size, () => powertools(event, context));
    console.log(
      `${String(size).padStart(10)} | ${fmt(1e6 / h, 2).padStart(14)} | ${fmt(1e6 / m, 2).padStart(16)} | ${fmt(1e6 / b, 2).padStart(15)} | ${fmt(1e6 / p, 2).padStart(21)} | ${fmt(b / h, 2).padStart(10)}x | ${fmt(p / h, 2)}x`
    );
  }
};

const memory = () => {
  console.log('\n## Memory on a 6 MB batch (fresh process)');
  // Grow the batch until the event is as large as Lambda allows (6 MB payload).
  let count = 1000;
  let json = JSON.stringify(runBatch(count));
  while (json.length < 5_900_000) {
    count = Math.floor((count * 5_950_000) / json.length);
    json = JSON.stringify(runBatch(count));
  }
  const file = join(scratch, 'event-6mb.json');
  writeFileSync(file, json);
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--conditions=port-kafka-lambda-source',
      '--import',
      'tsx',
      fileURLToPath(new URL('memory-child.ts', import.meta.url)),
      file,
    ],
    {
      cwd: root,
      encoding: 'utf8',
    }
  );
  const m = JSON.parse(out) as { eventBytes: number; records: number; peakAddedMb: number; maxRssAddedMb: number };
  console.log(`event: ${fmt(m.eventBytes / 1024 / 1024, 2)} MB, ${fmt(m.records)} runs over 10 partitions`);
  console.log(`peak heap + external added while handling: ${fmt(m.peakAddedMb, 1)} MB (goal < 64 MB)`);
  console.log(`peak RSS added (kernel maxRSS): ${fmt(m.maxRssAddedMb, 1)} MB`);
};

/**
 * The AWS SDK inside the bundle, or left to the copy the nodejs24.x runtime
 * provides. Both as the stack bundles a function without tracing: the tracer
 * left out (TRACER_MODULES).
 */
const SDK_VARIANTS = [
  { label: 'AWS SDK bundled', dir: 'sdk-bundled', externalModules: [...TRACER_MODULES] },
  { label: 'AWS SDK from the runtime', dir: 'sdk-runtime', externalModules: ['@aws-sdk/*', ...TRACER_MODULES] },
] as const;

/** Bundles `entry` with the construct's esbuild settings; returns the output path and esbuild's metafile. */
const bundleEntry = async (entry: string, outdir: string, externalModules: readonly string[]) => {
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLE.target,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: true,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    charset: 'utf8',
    external: [...externalModules],
    outfile,
    banner: { js: CREATE_REQUIRE_BANNER },
    conditions: [...BUNDLE_CONDITIONS],
    metafile: true,
    logLevel: 'silent',
  });
  return { outfile, metafile: result.metafile };
};

/** The largest packages (or source folders) of a bundle, from esbuild's metafile. */
const biggest = (metafile: Metafile, count: number): string => {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const sizes = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ??
      (file.includes('port-kafka-lambda/src/') ? 'port-kafka-lambda (own code)' : 'template');
    sizes.set(pkg, (sizes.get(pkg) ?? 0) + input.bytesInOutput);
  }
  return [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([pkg, bytes]) => `${pkg} ${fmt(bytes / 1024)} kB`)
    .join(', ');
};

/** Printed by a child as it ends: the CPU time (user + system, all threads) the process has used, in µs. */
const PRINT_CPU = 'const r = process.resourceUsage(); process.stdout.write(String(r.userCPUTime + r.systemCPUTime));';

/**
 * Medians over `runs` fresh processes running `code` (an ES module body) then
 * printing their CPU time: wall time, and CPU time, which a busy machine
 * inflates less. The environment is a Lambda's without
 * AWS_LAMBDA_INITIALIZATION_TYPE, so nothing is prefetched: this is module init
 * alone (the first-run figures show the rest).
 */
const processTime = (code: string, runs: number, cwd: string): { wallMs: number; cpuMs: number } => {
  const env = {
    PATH: process.env.PATH,
    NODE_OPTIONS: '--enable-source-maps',
    AWS_LAMBDA_FUNCTION_NAME: 'port-kafka-bench',
    PORT_ORG_ID: 'org_bench',
    PORT_CLIENT_ID: 'x',
    PORT_CLIENT_SECRET: 'y',
    AWS_REGION: 'eu-west-1',
  };
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${code}\n${PRINT_CPU}`], { env, cwd });
    if (r.status !== 0) throw new Error(r.stderr.toString());
    walls.push(performance.now() - start);
    cpus.push(Number(r.stdout.toString()) / 1000);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? 0;
  return { wallMs: median(walls), cpuMs: median(cpus) };
};

const FIRST_RUN_LATENCY_MS = 30;
const FIRST_RUNS = 7;

const bundle = async () => {
  console.log('\n## Bundle, cold start and the first run (esbuild with the options the CDK construct uses)');
  // Where a bundle that leaves the SDK out finds it: the runtime's copy in Lambda, the repository's here.
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  const bare = processTime('', 11, scratch);
  console.log(`bare Node start (node -e 0, median of 11): ${fmt(bare.wallMs, 1)} ms wall, ${fmt(bare.cpuMs, 1)} ms CPU`);
  for (const variant of SDK_VARIANTS) {
    const dir = join(scratch, variant.dir);
    const handler = await bundleEntry(join(root, 'lambda/handler.ts'), join(dir, 'handler'), variant.externalModules);
    const size = statSync(handler.outfile).size / 1024;
    const withBundle = processTime(`await import(${JSON.stringify(handler.outfile)});`, 11, scratch);
    const init = { wallMs: withBundle.wallMs - bare.wallMs, cpuMs: withBundle.cpuMs - bare.cpuMs };
    console.log(`\n### ${variant.label}`);
    console.log(
      `bundle: ${fmt(size)} kB = ${fmt(size / 400, 2)}x the 400 kB goal (+ ${fmt(statSync(`${handler.outfile}.map`).size / 1024)} kB source map); biggest: ${biggest(handler.metafile, 6)}`
    );
    console.log(
      `module init (median of 11, importing the bundle minus a bare start): ${fmt(init.wallMs, 1)} ms wall = ${fmt(init.wallMs / bare.wallMs, 2)}x a bare Node start, ${fmt(init.cpuMs, 1)} ms CPU = ${fmt(init.cpuMs / bare.cpuMs, 2)}x (goal ≤ 1x)`
    );
    const firstRun = await bundleEntry(
      fileURLToPath(new URL('first-run-entry.ts', import.meta.url)),
      join(dir, 'first-run'),
      variant.externalModules
    );
    const rows = [
      { ledger: false, prefetch: true, what: 'run ledger in memory' },
      // What the prefetch during init is worth: an init that does not start it (provisioned concurrency).
      { ledger: false, prefetch: false, what: 'run ledger in memory, nothing prefetched during init' },
      { ledger: true, prefetch: true, what: 'DynamoDB run ledger (as the stack deploys it)' },
    ];
    for (const { ledger, prefetch, what } of rows) {
      const runs = await measureFirstRuns({
        bundle: firstRun.outfile,
        scratch: dir,
        latencyMs: FIRST_RUN_LATENCY_MS,
        runs: FIRST_RUNS,
        ledger,
        prefetch,
      });
      for (const line of describeFirstRuns(
        `first run on a cold process, ${what} (median of ${FIRST_RUNS}, ${FIRST_RUN_LATENCY_MS} ms per call)`,
        runs
      )) {
        console.log(line);
      }
    }
  }
};

const lifecycle = async () => {
  const path = new URL('./lifecycle.ts', import.meta.url);
  try {
    statSync(path);
  } catch {
    return;
  }
  const mod = (await import(path.href)) as { benchLifecycle: () => Promise<void> };
  console.log('\n## Run lifecycle against the Port emulator');
  await mod.benchLifecycle();
};

const consumer = async () => {
  console.log('\n## Long-lived consumer (npm run consume)');
  const { benchConsumer } = await import('./consumer.js');
  await benchConsumer();
};

const durable = async () => {
  console.log('\n## Long-running actions: inline vs durable (docs/long-running-actions.md)');
  const { benchDurable } = await import('./durable.js');
  await benchDurable();
};

/** `npm run bench` runs every section; `npm run bench -- bundle throughput` only those. */
const sections: Record<string, () => unknown> = { throughput, memory, bundle, lifecycle, consumer, durable };
const chosen = process.argv.slice(2);
try {
  console.log(`port-kafka-lambda benchmark — Node ${process.version}, ${process.arch}`);
  for (const [name, run] of Object.entries(sections)) if (chosen.length === 0 || chosen.includes(name)) await run();
} finally {
  // The link to node_modules goes first, so that removing the scratch folder cannot follow it.
  rmSync(join(scratch, 'node_modules'), { force: true });
  rmSync(scratch, { recursive: true, force: true });
}
