import { DeadlineError, defineChangeHandler } from 'port-kafka-lambda';
import * as z from 'zod';

/**
 * The part of a `vm` entity this handler reads. Port leaves an unset number
 * property out or sends null, so the figures are nullish; a figure of the wrong
 * type (a string, a negative size) is a broken entity: the change is parked
 * with the failing field named instead of reaching the handler.
 */
const Vm = z.looseObject({
  identifier: z.string(),
  properties: z.looseObject({
    storage_size: z.number().positive().nullish(),
    free_storage: z.number().nonnegative().nullish(),
    storage_alert: z.boolean().nullish(),
  }),
});

/** Share of free storage below which a VM is flagged. */
const LOW_STORAGE_RATIO = 0.1;

/** With less time than this left, the write is not started: the change is left for the batch's retry. */
const MIN_TIME_FOR_WRITE_MS = 1_000;

/**
 * Watches `vm` entities: when a change leaves less than 10% of the disk free,
 * sets the entity's `storage_alert` property (and clears it when space comes
 * back). It only writes when the flag changes, because its own write comes
 * back as another UPDATE on the change log.
 */
const vmStorageAlert = defineChangeHandler({
  identifier: 'vm-storage-alert',
  match: { resourceType: 'entity', blueprint: 'vm', action: ['CREATE', 'UPDATE'] },
  entity: Vm,
  async handler({ diff: { before, after } }, { port, logger, remainingTimeMs }) {
    const storage = after?.properties.storage_size;
    const free = after?.properties.free_storage;
    if (!after || storage == null || free == null) {
      logger.debug('VM change without storage figures; ignored');
      return;
    }
    const low = free / storage < LOW_STORAGE_RATIO;
    if ((after.properties.storage_alert ?? false) === low) return;
    if (remainingTimeMs() < MIN_TIME_FOR_WRITE_MS) {
      // A DeadlineError is retryable: the record is redelivered with a fresh deadline instead of parked.
      throw new DeadlineError(`${remainingTimeMs()} ms left; the storage alert of ${after.identifier} is left for the retry`);
    }
    await port.patchEntity('vm', after.identifier, { properties: { storage_alert: low } });
    logger.info(low ? 'Low storage: alert raised' : 'Storage recovered: alert cleared', {
      vm: after.identifier,
      freeBefore: before?.properties.free_storage,
      freeAfter: free,
    });
  },
});

export { LOW_STORAGE_RATIO, MIN_TIME_FOR_WRITE_MS, vmStorageAlert };
