import { defineApp } from 'port-kafka-lambda';
import { actions } from './actions/index.js';
import { automations } from './automations/index.js';
import { changeHandlers } from './changes/index.js';
import { parseCustomRun } from './payloads/custom-run.js';

/**
 * This backend: its actions, its automations, its change handlers and its
 * custom payload parser. The Lambda entry, `npm run consume`, `npm run
 * invoke`/`demo`, `npm run port -- sync` and the CDK app all read this one definition.
 */
export default defineApp({ actions, automations, changeHandlers, customRunParser: parseCustomRun });
