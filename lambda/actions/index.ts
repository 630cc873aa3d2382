import { createVm } from './create-vm.js';
import type { ActionDefinition } from 'port-kafka-lambda';
import { deployService } from './deploy-service.js';

/**
 * Every action this backend executes. Add one file per action in this folder
 * (`npm run new-action -- <identifier>` scaffolds it) and list it here.
 */
const actions: readonly ActionDefinition[] = [createVm, deployService];

export { actions };
