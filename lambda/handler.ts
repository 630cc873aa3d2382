import { createLambdaHandler } from 'port-kafka-lambda';
import app from './app.js';

/**
 * The Lambda entry point for both Kafka event source mappings. Built once per
 * container (cold start): a bad configuration fails here with one line per bad
 * variable, before any record is touched.
 */
export const handler = createLambdaHandler(app);
