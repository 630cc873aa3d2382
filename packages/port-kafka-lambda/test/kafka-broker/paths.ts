import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of this harness (holds pom.xml). */
export const HARNESS_DIR = dirname(fileURLToPath(import.meta.url));
/** Repository root: packages/port-kafka-lambda/test/kafka-broker -> ../../../.. */
export const REPO_ROOT = resolve(HARNESS_DIR, '..', '..', '..', '..');
/** Ignored cache folder for the broker jars (see .gitignore). */
export const KAFKA_CACHE_DIR = resolve(REPO_ROOT, '.kafka');
export const DEFAULT_LIB_DIR = resolve(KAFKA_CACHE_DIR, 'lib');
export const POM_PATH = resolve(HARNESS_DIR, 'pom.xml');
