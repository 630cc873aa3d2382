/**
 * `npm run invoke -- <file or folder>...`: runs the real Middy-wrapped handler
 * in-process on Lambda Kafka events or bare Port messages. See docs/local-development.md.
 */
import { withApp } from './app.js';
import { invoke } from './invoke/run.js';

const runInvoke = (argv: readonly string[]) => withApp('invoke', (app) => invoke(app, argv));

export { runInvoke };
