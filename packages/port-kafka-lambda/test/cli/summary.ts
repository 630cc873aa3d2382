/** The parts of `invoke --json` output the tests read. */
interface JsonRecord {
  topic: string;
  partition: number;
  offset: number;
  status: string;
  reason: string;
  runId?: string;
  detail?: string;
}

interface JsonRun {
  id: string;
  action: string | null;
  status: string;
  summary: string | null;
  links: string[];
  entities: string[];
  logCount: number;
  logs: string[];
}

interface JsonFile {
  file: string;
  kind: string;
  ok: boolean;
  problems: string[];
  counts: Record<string, number> | null;
  records: JsonRecord[];
  runs: JsonRun[];
  entityChanges: { blueprint: string; identifier: string; properties: Record<string, unknown> }[];
  handlerError?: string;
}

interface JsonSummary {
  ok: boolean;
  target: { kind: 'emulator' | 'port'; url: string };
  files: JsonFile[];
}

const parseSummary = (stdout: string): JsonSummary => JSON.parse(stdout) as JsonSummary;

/** The only file of a one-file summary. */
const onlyFile = (summary: JsonSummary): JsonFile => {
  const [file, ...rest] = summary.files;
  if (!file || rest.length > 0) throw new Error(`expected one file, got ${summary.files.length}`);
  return file;
};

export type { JsonFile, JsonRecord, JsonRun, JsonSummary };
export { onlyFile, parseSummary };
