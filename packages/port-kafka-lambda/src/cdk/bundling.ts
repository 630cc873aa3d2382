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

export { CREATE_REQUIRE_BANNER, SOURCE_CONDITION };
