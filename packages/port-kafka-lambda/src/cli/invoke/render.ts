import type { RecordOutcome } from '../../batch/outcome.js';
import type { ExecutionStep, FinishedExecution } from '../../durable/local.js';
import { TopicKind } from '../../port/kafka.js';
import { coordinateKey } from './preflight.js';
import type { BatchResult, InvokeSummary } from './result.js';

/** Short words for the skip and invalid reasons a newcomer will meet. */
const REASON_TEXT: Record<string, string> = {
  'agent-run': "a webhook run for Port's agent, not for this backend",
  'workflow-node-run': 'a workflow node run, reported through the workflow API',
  'non-kafka-change-destination': 'a change for another destination (webhook)',
  'no-change-handler': 'no change handler matches',
  'already-ended': 'the run had already ended in Port',
  'duplicate-in-batch': 'the same run appeared earlier in this batch',
  'run-not-found': 'Port does not know this run',
  tombstone: 'a tombstone (no value)',
  dispatched: 'handed to its durable execution',
  'already-dispatched': 'its durable execution had already started',
};

const STATUS_MARK: Record<string, string> = { SUCCEEDED: '✓', FAILED: '✗', STARTED: '…', PENDING: '…' };

/** One operation of a durable execution: what it was and how it went. */
const stepLine = (step: ExecutionStep, waits: InvokeSummary['waits']): string => {
  const mark = STATUS_MARK[step.status] ?? step.status;
  const notes: string[] = [];
  if (step.subType === 'WaitForCondition' && step.attempts !== undefined)
    notes.push(`${step.attempts} check${step.attempts === 1 ? '' : 's'}`);
  else if (step.type === 'STEP' && (step.attempts ?? 1) > 1) notes.push(`${step.attempts} attempts`);
  if (step.type === 'WAIT' && step.waitSeconds !== undefined) {
    const scaled = typeof waits === 'object' ? ` (scaled ×${waits.scale})` : waits === 'skipped' ? ' (skipped)' : '';
    notes.push(`${step.waitSeconds} s${scaled}`);
  }
  const kind = step.type === 'WAIT' ? 'wait' : step.subType === 'WaitForCondition' ? 'poll' : step.type.toLowerCase();
  return `      ${mark} ${kind.padEnd(4)} ${step.name}${notes.length ? ` · ${notes.join(', ')}` : ''}`;
};

/** The steps of a run's durable execution, under its run. */
const executionLines = (execution: FinishedExecution, waits: InvokeSummary['waits']): string[] => [
  `    Durable execution ${execution.name} · ${execution.status} · ${execution.invocations} invocation(s)${execution.error ? ` · ${execution.error}` : ''}:`,
  ...execution.steps.map((step) => stepLine(step, waits)),
];

const kindText = (result: BatchResult): string => {
  const { batch } = result.plan;
  const records = result.report?.outcomes.length;
  if (batch.kind === 'kafka-event') return `Lambda Kafka event${records === undefined ? '' : `, ${records} record(s)`}`;
  return batch.kind === TopicKind.Runs
    ? `Port run message, wrapped for the ${TopicKind.Runs} topic`
    : `Port change-log message, wrapped for the ${TopicKind.ChangeLog} topic`;
};

const countsText = (counts: Record<string, number> | undefined): string =>
  counts
    ? Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status}`)
        .join(', ') || 'no records'
    : 'no report';

const whereOf = (o: RecordOutcome): string => `${o.topic}-${o.partition} @${o.offset}`;

const outcomeLine = (o: RecordOutcome, result: BatchResult, width: number): string => {
  const what = result.plan.descriptions.get(coordinateKey(o));
  const parts: string[] = [];
  if (what) parts.push(what);
  if (o.status === 'skipped' || o.status === 'invalid' || o.status === 'retry' || (o.status === 'failed' && !o.runId)) {
    const reason = REASON_TEXT[o.reason] ?? o.reason;
    const parked = o.status === 'invalid' || o.status === 'failed' ? ', parked' : '';
    parts.push(`${what ? '— ' : ''}${reason}${o.detail ? ` (${o.detail})` : ''}${parked}`);
  } else if (!o.runId && o.status === 'succeeded') {
    parts.push(`→ ${o.reason}`);
  }
  return `  ${whereOf(o).padEnd(width)}  ${o.status.padEnd(9)} ${parts.join(' ')}`.trimEnd();
};

const formatProps = (props: Record<string, unknown>): string =>
  Object.entries(props)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');

/** What Port would show for one file: records, each run's page, entity changes, verdict. */
const renderBatch = (result: BatchResult, waits?: InvokeSummary['waits']): string[] => {
  const lines = [`${result.plan.batch.file} — ${kindText(result)}`];
  const outcomes = result.report?.outcomes ?? [];
  const width = Math.max(0, ...outcomes.map((o) => whereOf(o).length));
  for (const o of outcomes) lines.push(outcomeLine(o, result, width));
  for (const run of result.runs) {
    const planned = result.plan.runs.find((r) => r.runId === run.id);
    lines.push('');
    lines.push(`  Run ${run.id}${planned ? ` · ${planned.action}` : ''} · ${run.status}${run.statusLabel ? ` (${run.statusLabel})` : ''}`);
    if (planned?.origin) lines.push(`    Trigger:  ${planned.origin}${planned.by ? ` by ${planned.by}` : ''}`);
    if (run.summary) lines.push(`    Summary:  ${run.summary}`);
    for (const [i, link] of run.links.entries()) lines.push(`    ${i === 0 ? 'Links:   ' : '         '} ${link}`);
    if (run.entities.length) lines.push(`    Entities: ${run.entities.join(', ')}`);
    lines.push(`    Logs (${run.logs.length}):`);
    for (const log of run.logs) lines.push(`      ${log}`);
    for (const execution of result.durable.filter((e) => e.runId === run.id)) lines.push(...executionLines(execution, waits));
  }
  if (result.entityChanges.length) {
    lines.push('');
    lines.push('  Entities changed by change handlers:');
    for (const w of result.entityChanges) lines.push(`    ${w.blueprint}/${w.identifier}  ${formatProps(w.properties)}`.trimEnd());
  }
  if (result.handlerError) lines.push(`  The handler threw: ${result.handlerError}`);
  lines.push('');
  const counts = countsText(result.report?.counts);
  if (result.problems.length === 0) lines.push(`  ✓ as expected (${counts})`);
  else for (const p of result.problems) lines.push(`  ✗ not as expected: ${p}`);
  return lines;
};

const renderHuman = (summary: InvokeSummary): string => {
  const lines: string[] = [];
  for (const result of summary.results) lines.push(...renderBatch(result, summary.waits), '');
  const total: Record<string, number> = {};
  for (const r of summary.results) {
    for (const [status, n] of Object.entries(r.report?.counts ?? {})) total[status] = (total[status] ?? 0) + n;
  }
  const failing = summary.results.filter((r) => r.problems.length > 0);
  const records = Object.values(total).reduce((a, b) => a + b, 0);
  const head = `${summary.results.length} file(s), ${records} record(s): ${countsText(total)}.`;
  lines.push(
    failing.length === 0
      ? `${head} All handled as expected.`
      : `${head} Not as expected: ${failing.map((r) => r.plan.batch.file).join(', ')}.`
  );
  return `${lines.join('\n')}\n`;
};

/** The --json document: per file its records (coordinates and outcome) and runs (id, status, logs). */
const renderJson = (summary: InvokeSummary): string => {
  const files = summary.results.map((r) => ({
    file: r.plan.batch.file,
    kind: r.plan.batch.kind,
    ok: r.problems.length === 0,
    problems: r.problems,
    expect: r.plan.batch.expect,
    counts: r.report?.counts ?? null,
    records: (r.report?.outcomes ?? []).map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      status: o.status,
      reason: o.reason,
      ...(o.runId ? { runId: o.runId } : {}),
      ...(o.action ? { action: o.action } : {}),
      ...(o.detail ? { detail: o.detail } : {}),
    })),
    runs: r.runs.map((run) => ({
      id: run.id,
      action: r.plan.runs.find((p) => p.runId === run.id)?.action ?? null,
      status: run.status,
      statusLabel: run.statusLabel,
      summary: run.summary,
      links: run.links,
      entities: run.entities,
      logCount: run.logs.length,
      logs: run.logs,
      ...(() => {
        const execution = r.durable.find((e) => e.runId === run.id);
        return execution
          ? { durable: { execution: execution.name, status: execution.status, invocations: execution.invocations, steps: execution.steps } }
          : {};
      })(),
    })),
    entityChanges: r.entityChanges,
    ...(r.handlerError ? { handlerError: r.handlerError } : {}),
  }));
  return `${JSON.stringify({ ok: files.every((f) => f.ok), target: summary.target, files }, null, 2)}\n`;
};

export { renderHuman, renderJson };
