import { createHandler } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './logging/logger.js';
import { productionDependencies } from './wiring.js';

// Built once per container (cold start); a bad configuration fails here with
// one line per bad variable, before any record is touched.
const config = loadConfig();
const logger = createLogger();

/** The Lambda entry point for both Kafka event source mappings. */
export const handler = createHandler(productionDependencies(config, logger));
