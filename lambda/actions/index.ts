import type { ActionDefinition } from 'port-kafka-lambda';
import { createVm } from './create-vm.js';
import { deployService } from './deploy-service.js';
import { rolloutService } from './rollout-service.js';

/**
 * Every action this backend executes: one file per action in this folder,
 * listed here. `npm run new-action -- <identifier>` writes the file and adds
 * its import and entry (it edits this file's syntax tree, so reformat or
 * comment the list freely; keep it an array literal exported as `actions`).
 */
const actions: readonly ActionDefinition[] = [createVm, deployService, rolloutService];

export { actions };
