import * as z from 'zod';
import { defineChangeHandler } from 'port-kafka-lambda';

const VmProperties = z.looseObject({
  storage_size: z.number().positive(),
  free_storage: z.number().nonnegative(),
  storage_alert: z.boolean().optional(),
});

const VmSnapshot = z.looseObject({ identifier: z.string(), properties: VmProperties });

/** Share of free storage below which a VM is flagged. */
const LOW_STORAGE_RATIO = 0.1;

/**
 * Watches `vm` entities: when an update leaves less than 10% of the disk free,
 * sets the entity's `storage_alert` property (and clears it when space comes
 * back). It only writes when the flag changes, because its own write comes
 * back as another UPDATE on the change log.
 */
const vmStorageAlert = defineChangeHandler({
  name: 'vm-storage-alert',
  match: { resourceType: 'entity', blueprint: 'vm', action: ['CREATE', 'UPDATE'] },
  async handle(change, { port, logger }) {
    const after = VmSnapshot.safeParse(change.diff.after);
    if (!after.success) {
      logger.debug('VM change without storage figures; ignored');
      return;
    }
    const { identifier, properties } = after.data;
    const low = properties.free_storage / properties.storage_size < LOW_STORAGE_RATIO;
    if ((properties.storage_alert ?? false) === low) return;
    await port.patchEntity('vm', identifier, { properties: { storage_alert: low } });
    logger.info(low ? 'Low storage: alert raised' : 'Storage recovered: alert cleared', { vm: identifier });
  },
});

export { LOW_STORAGE_RATIO, vmStorageAlert };
