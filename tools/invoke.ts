/**
 * `npm run invoke -- <file or folder>...`: runs the real Middy-wrapped handler
 * in-process on Lambda Kafka events or bare Port messages. See README.md, "Local development".
 */
import { invoke } from './invoke/run.js';

process.exitCode = await invoke(process.argv.slice(2));
