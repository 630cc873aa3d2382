import { defineApp } from 'port-kafka-lambda';
import { actions } from './actions/index.js';
import { changeHandlers } from './changes/index.js';
import { parseCustomRun } from './payloads/custom-run.js';

/**
 * This backend: its actions, its change handlers and its custom payload
 * parser. The Lambda entry, `npm run consume`, `npm run invoke`/`demo` and the
 * CDK app all read this one definition.
 */
export default defineApp({ actions, changeHandlers, customRunParser: parseCustomRun });
