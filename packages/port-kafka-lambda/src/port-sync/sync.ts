import type { PortAction, PortActionBody } from '../port/actions.js';
import type { PortClient } from '../port/client.js';
import type { DesiredDefinition } from './definitions.js';
import { diffAction, type FieldChange, updateBody } from './diff.js';

/**
 * Push: compare each definition with what Port has, then create what is
 * missing and replace what differs. Definitions are handled one after
 * another, and one refused by Port does not stop the others: the report says
 * which were written.
 */

type SyncStatus = 'create' | 'update' | 'unchanged';

interface SyncPlanItem extends DesiredDefinition {
  status: SyncStatus;
  changes: FieldChange[];
  /** What Port has now (undefined for a create). */
  current: PortAction | undefined;
}

interface SyncOutcome extends SyncPlanItem {
  /** What happened: written as planned, left alone, or Port refused (with why). */
  result: 'created' | 'updated' | 'unchanged' | 'failed';
  error?: string;
}

/** Reads what Port has for every definition and works out what would change. */
const planSync = async (port: PortClient, desired: readonly DesiredDefinition[]): Promise<SyncPlanItem[]> => {
  const plan: SyncPlanItem[] = [];
  for (const definition of desired) {
    const current = await port.findAction(definition.identifier);
    const changes = diffAction(current, definition.body);
    const status: SyncStatus = current === undefined ? 'create' : changes.length === 0 ? 'unchanged' : 'update';
    plan.push({ ...definition, status, changes, current });
  }
  return plan;
};

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Writes a plan: POST for creates, PUT (with Port-only settings carried over) for updates. */
const applySync = async (port: PortClient, plan: readonly SyncPlanItem[]): Promise<SyncOutcome[]> => {
  const outcomes: SyncOutcome[] = [];
  for (const item of plan) {
    if (item.status === 'unchanged') {
      outcomes.push({ ...item, result: 'unchanged' });
      continue;
    }
    try {
      if (item.status === 'create' || item.current === undefined) {
        await port.createAction(item.body);
        outcomes.push({ ...item, result: 'created' });
      } else {
        const body: PortActionBody = updateBody(item.current, item.body);
        await port.updateAction(item.identifier, body);
        outcomes.push({ ...item, result: 'updated' });
      }
    } catch (error) {
      outcomes.push({ ...item, result: 'failed', error: errorText(error) });
    }
  }
  return outcomes;
};

export type { SyncOutcome, SyncPlanItem, SyncStatus };
export { applySync, planSync };
