import type { Logger } from '@aws-lambda-powertools/logger';
import type { PortClient } from '../port/client.js';
import type { EntityInput, PortEntity } from '../port/types.js';

/**
 * What an action handler can do with its run while it executes. Every method
 * reports to Port right away, so users see progress on the run page.
 */
interface RunContext {
  readonly runId: string;
  /** Structured logger carrying the run id and the record's coordinates. */
  readonly logger: Logger;
  /** The Port API client, for calls the context does not wrap. */
  readonly port: PortClient;
  /** Aborted when the Lambda deadline is near; pass it to long calls. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the run is reported as timed out. */
  remainingTimeMs(): number;
  /** Adds a line to the run's log in Port. */
  log(message: string): Promise<void>;
  /** Sets the label shown next to the run's status, keeping it in progress. */
  setStatusLabel(label: string): Promise<void>;
  /** Adds a link to the run (Port keeps the list; each call sends all links so far). */
  addLink(url: string): Promise<void>;
  /** Ties the run to an id in another system, searchable in Port. */
  setExternalRunId(id: string): Promise<void>;
  /** Creates or updates an entity and shows it on the run's page. */
  upsertEntity(blueprint: string, entity: EntityInput): Promise<PortEntity>;
  /**
   * Decrypts a secret input in the format its action declares (`secretInput`):
   * Port-managed (the client secret) or client-side (the RSA private key). An
   * object secret comes back as JSON text. Never log the result.
   */
  decrypt(inputName: string): Promise<string>;
}

export type { RunContext };
