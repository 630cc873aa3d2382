/**
 * Settings every ESM bundle of this project shares: the Lambda asset
 * (constructs/consumer-function.ts), the consumer's container bundle
 * (cli/build-consumer.ts) and the benchmark. Kept free of aws-cdk-lib so
 * the latter two do not load it.
 */

/**
 * Some dependencies are CommonJS and call `require` at run time; in an ESM
 * bundle that only works with a `require` made by `createRequire`.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __portKafkaCreateRequire } from 'node:module'; const require = __portKafkaCreateRequire(import.meta.url);";

/**
 * The package condition under which `port-kafka-lambda` resolves to its
 * TypeScript source (shipped in the package beside `dist/`). Bundles use it so
 * that inside this repository, where nothing is built, and in an installed
 * project alike, esbuild compiles the machinery with the team's code.
 */
const SOURCE_CONDITION = 'port-kafka-lambda-source';

/**
 * The conditions every bundle resolves with. Setting esbuild's `conditions`
 * replaces its default `module` condition, and without it some dependencies
 * resolve to their larger CommonJS builds (measured: 947 kB instead of 807 kB
 * for the handler), so `module` is listed again.
 */
const BUNDLE_CONDITIONS: readonly string[] = [SOURCE_CONDITION, 'module'];

/**
 * The esbuild settings of the Lambda asset beyond the format (ESM), the banner
 * and the conditions above. ConsumerFunction hands them to NodejsFunction and
 * `npm run bench` builds with them, so the benchmark measures the bundle that
 * is deployed.
 */
const LAMBDA_BUNDLE = {
  target: 'node24',
  // The ESM builds of dependencies, where they ship one, tree-shake better.
  mainFields: ['module', 'main'],
  minify: true,
  // Source maps only need positions; the sources would double the asset.
  sourcesContent: false,
  /**
   * The AWS SDK v3 is taken from the nodejs24.x runtime, not bundled. Measured
   * with `npm run bench` (docs/testing.md): the bundle is 341 kB instead of
   * 935 kB, and module init and the first run are faster, since the SDK is only
   * read from disk when a client is first used (Secrets Manager on the first
   * run) instead of being compiled with the bundle at every cold start. The
   * price: the function runs the runtime's SDK version, not the one the lock
   * file pins and the tests use. The calls made are long-standing ones
   * (GetSecretValue, DynamoDB items, SQS SendMessage) plus Lambda's durable
   * execution APIs, which the runtime's SDK has: the runtime ships the durable
   * execution SDK that uses them. Nothing may import the SDK statically where it
   * is not needed at once: an ES module bundle moves every static import of an
   * external package to its start (hence the `import()` in the ledger, the parker
   * and the credentials loader).
   */
  externalModules: ['@aws-sdk/*'] as readonly string[],
} as const;

/**
 * Powertools Tracer and, through it, the X-Ray SDK: the handler imports them
 * only when PORT_KAFKA_TRACING is true (telemetry/tracing.ts, a dynamic
 * import). A function deployed without tracing leaves them out of its bundle:
 * the import that would load them is never reached. Measured on the template's
 * handler (AWS SDK from the runtime): 342 kB → 220 kB, module init about 25 ms
 * shorter.
 */
const TRACER_MODULES: readonly string[] = ['@aws-lambda-powertools/tracer'];

export { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER, LAMBDA_BUNDLE, SOURCE_CONDITION, TRACER_MODULES };
