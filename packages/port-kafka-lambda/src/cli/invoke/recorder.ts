import type { EntityInput, PortClient } from '../../port/client.js';

/** An entity write the handler sent to Port. */
interface EntityWrite {
  blueprint: string;
  identifier: string;
  /** Set when written through a run context (shown on the run's page in Port). */
  runId?: string;
  properties: Record<string, unknown>;
}

/**
 * Wraps the Port client the handler uses and keeps what it sent: run logs and
 * entity writes. The real Port API has no cheap way to list them back, so the
 * invoke command shows what was sent; with the emulator it reads the emulator.
 */
const recordingClient = (inner: PortClient) => {
  const logs = new Map<string, string[]>();
  const entityWrites: EntityWrite[] = [];
  let taken = 0;
  const noteEntity = (blueprint: string, entity: Partial<EntityInput>, identifier: string | undefined, runId?: string) => {
    if (identifier === undefined) return;
    entityWrites.push({ blueprint, identifier, ...(runId ? { runId } : {}), properties: entity.properties ?? {} });
  };
  const client: PortClient = {
    getRun: (runId) => inner.getRun(runId),
    listRuns: (query) => inner.listRuns(query),
    updateRun: (runId, patch) => inner.updateRun(runId, patch),
    async addRunLog(runId, log) {
      await inner.addRunLog(runId, log);
      const list = logs.get(runId) ?? [];
      list.push(log.message);
      logs.set(runId, list);
    },
    async upsertEntity(blueprint, entity, opts) {
      const written = await inner.upsertEntity(blueprint, entity, opts);
      noteEntity(blueprint, entity, written.identifier, opts?.runId);
      return written;
    },
    getEntity: (blueprint, identifier) => inner.getEntity(blueprint, identifier),
    async patchEntity(blueprint, identifier, patch, opts) {
      const written = await inner.patchEntity(blueprint, identifier, patch, opts);
      noteEntity(blueprint, patch, identifier, opts?.runId);
      return written;
    },
    async bulkUpsertEntities(blueprint, entities, opts) {
      const result = await inner.bulkUpsertEntities(blueprint, entities, opts);
      for (const written of result.entities) noteEntity(blueprint, entities[written.index] ?? {}, written.identifier, opts?.runId);
      return result;
    },
    deleteEntity: (blueprint, identifier, opts) => inner.deleteEntity(blueprint, identifier, opts),
    searchEntities: (query, opts) => inner.searchEntities(query, opts),
    getBlueprint: (identifier) => inner.getBlueprint(identifier),
    findAction: (identifier) => inner.findAction(identifier),
    createAction: (action) => inner.createAction(action),
    updateAction: (identifier, action) => inner.updateAction(identifier, action),
    warmUp: () => inner.warmUp(),
    close: () => inner.close(),
  };
  return {
    client,
    logsOf: (runId: string): string[] => logs.get(runId) ?? [],
    /** `blueprint/identifier` of the entities a run wrote through its context. */
    entitiesOfRun: (runId: string): string[] => [
      ...new Set(entityWrites.filter((w) => w.runId === runId).map((w) => `${w.blueprint}/${w.identifier}`)),
    ],
    /** Entity writes since the previous call. */
    takeEntityWrites: (): EntityWrite[] => {
      const since = entityWrites.slice(taken);
      taken = entityWrites.length;
      return since;
    },
  };
};

type RecordingClient = ReturnType<typeof recordingClient>;

export type { EntityWrite, RecordingClient };
export { recordingClient };
