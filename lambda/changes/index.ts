import type { ChangeHandlerDefinition } from 'port-kafka-lambda';
import { vmStorageAlert } from './vm-storage-alert.js';

/** Every change handler; each change event goes to all handlers whose match fits. */
const changeHandlers: readonly ChangeHandlerDefinition[] = [vmStorageAlert];

export { changeHandlers };
