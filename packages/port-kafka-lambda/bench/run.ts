// `npm run bench`: prints the handler's figures. Not a test: nothing here
// passes or fails; it measures, on this machine, in one run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER } from '../src/cdk/bundling.js';
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

const throughput = async () => {
  console.log('\n## Per-record cost: decode + validate + route (Port calls stubbed out) vs base64 + JSON.parse');
  console.log('batch size | handler rec/s | baseline rec/s | handler µs/rec | baseline µs/rec | ratio');
  const handler = routingHandler();
  for (const size of [1, 100, 10_000]) {
    const event = runBatch(size);
    const context = lambdaContext(600_000);
    const h = await rate(size, () => handler(event, context));
    const b = await rate(size, () => baseline(event));
    console.log(
      `${String(size).padStart(10)} | ${fmt(h).padStart(13)} | ${fmt(b).padStart(14)} | ${fmt(1e6 / h, 2).padStart(14)} | ${fmt(1e6 / b, 2).padStart(15)} | ${fmt(b / h, 2)}x`
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
  const out = execFileSync(process.execPath, ['--expose-gc', '--conditions=port-kafka-lambda-source', '--import', 'tsx', fileURLToPath(new URL('memory-child.ts', import.meta.url)), file], {
    cwd: root,
    encoding: 'utf8',
  });
  const m = JSON.parse(out) as { eventBytes: number; records: number; peakAddedMb: number; maxRssAddedMb: number };
  console.log(`event: ${fmt(m.eventBytes / 1024 / 1024, 2)} MB, ${fmt(m.records)} runs over 10 partitions`);
  console.log(`peak heap + external added while handling: ${fmt(m.peakAddedMb, 1)} MB (goal < 64 MB)`);
  console.log(`peak RSS added (kernel maxRSS): ${fmt(m.maxRssAddedMb, 1)} MB`);
};

const bundle = async () => {
  console.log('\n## Bundle and cold start (esbuild with the options the CDK construct uses)');
  const outfile = join(scratch, 'index.mjs');
  await build({
    entryPoints: [join(root, 'lambda/handler.ts')],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    outfile,
    banner: { js: CREATE_REQUIRE_BANNER },
    conditions: [...BUNDLE_CONDITIONS],
    logLevel: 'silent',
  });
  console.log(`bundle: ${fmt(statSync(outfile).size / 1024)} kB (+ ${fmt(statSync(`${outfile}.map`).size / 1024)} kB source map)`);
  // Cold start = a fresh Node process importing the bundle (module init: config,
  // SDK clients, registries), minus a fresh process that imports nothing.
  const env = { ...process.env, PORT_ORG_ID: 'org_bench', PORT_CLIENT_ID: 'x', PORT_CLIENT_SECRET: 'y', AWS_REGION: 'eu-west-1' };
  const time = (args: string[]) => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      const r = spawnSync(process.execPath, args, { env });
      if (r.status !== 0) throw new Error(r.stderr.toString());
      runs.push(performance.now() - start);
    }
    return runs.sort((a, b) => a - b)[3] ?? 0;
  };
  const empty = time(['-e', '0']);
  const withBundle = time(['-e', `await import(${JSON.stringify(outfile)})`, '--input-type=module']);
  console.log(`cold start (median of 7): ${fmt(withBundle - empty, 1)} ms of module init on top of ${fmt(empty, 1)} ms bare Node start`);
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

try {
  console.log(`port-kafka-lambda benchmark — Node ${process.version}, ${process.arch}`);
  await throughput();
  memory();
  await bundle();
  await lifecycle();
  await consumer();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
