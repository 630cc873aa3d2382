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
  externalModules: [] as readonly string[],
} as const;

export { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER, LAMBDA_BUNDLE, SOURCE_CONDITION };
