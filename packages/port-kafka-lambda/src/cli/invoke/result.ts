import type { BatchReport } from '../../batch/outcome.js';
import type { FinishedExecution } from '../../durable/local.js';
import type { BatchPlan } from './preflight.js';
import type { EntityWrite } from './recorder.js';
import type { RunView } from './target.js';

/** Everything the output needs about one file's invocation. */
interface BatchResult {
  plan: BatchPlan;
  report: BatchReport | undefined;
  /** The handler's answer (partial batch response), when it returned. */
  response?: unknown;
  /** What escaped the handler, when something did (e.g. a whole-batch retry). */
  handlerError?: string;
  runs: RunView[];
  /** Writes by change handlers (entity writes not tied to a run). */
  entityChanges: EntityWrite[];
  /** Lines saying how the file differed from what was expected; empty when as expected. */
  problems: string[];
  /** Durable executions of this file's runs, with their steps. */
  durable: FinishedExecution[];
}

interface InvokeSummary {
  target: { kind: 'emulator' | 'port'; url: string };
  /** How durable actions' waits were run. */
  waits?: 'real' | 'skipped' | { scale: number };
  results: BatchResult[];
}

export type { BatchResult, InvokeSummary };
