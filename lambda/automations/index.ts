import type { AutomationDefinition } from 'port-kafka-lambda';
import { deployOnMainVersion } from './deploy-on-main-version.js';

/** Every Port automation this backend runs; each names one of the actions as its handler. */
const automations: readonly AutomationDefinition[] = [deployOnMainVersion];

export { automations };
