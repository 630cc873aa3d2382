import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CustomRunParser } from '../../messages/normalize.js';
import { type TopicKind, topicName } from '../../port/kafka.js';
import { type Classified, classifyFile, type Expectation } from './classify.js';
import { InputErrors } from './errors.js';
import { FALLBACK_ORG_ID, orgIdOf, toKafkaEvent } from './kafka.js';

/** One handler invocation: a file's Kafka event, or a bare message wrapped in one. */
interface InvokeBatch {
  /** The file as shown to the user (relative to the working directory when inside it). */
  file: string;
  /** What the file held. */
  kind: 'kafka-event' | TopicKind;
  /** The Lambda Kafka event handed to the handler. */
  event: unknown;
  expect: Expectation;
}

interface LoadOptions {
  /** PORT_ORG_ID when set: topics of wrapped messages must then use it (the handler checks). */
  orgId?: string;
  cwd?: string;
  /** The app's reader of payloads of its own design. */
  customRunParser?: CustomRunParser;
}

const display = (file: string, cwd: string): string => {
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
};

const errnoText = (error: unknown): string => {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return code || (error instanceof Error ? error.message : String(error));
};

/** Expands folders to the `.json` files directly inside them, sorted by name. */
const expandPaths = async (paths: readonly string[], cwd: string): Promise<{ files: string[]; problems: string[] }> => {
  const files: string[] = [];
  const problems: string[] = [];
  for (const given of paths) {
    const full = path.resolve(cwd, given);
    let info: Stats;
    try {
      info = await stat(full);
    } catch (error) {
      problems.push(`${given}: ${errnoText(error)}`);
      continue;
    }
    if (!info.isDirectory()) {
      files.push(full);
      continue;
    }
    const entries = (await readdir(full, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => path.join(full, e.name))
      .sort();
    if (entries.length === 0) problems.push(`${given}: folder has no .json files`);
    files.push(...entries);
  }
  return { files, problems };
};

const toBatch = (file: string, classified: Classified, expect: Expectation, options: LoadOptions): InvokeBatch => {
  if (classified.kind === 'kafka-event') return { file, kind: classified.kind, event: classified.event, expect };
  const orgId = options.orgId ?? orgIdOf(classified.message) ?? FALLBACK_ORG_ID;
  const event = toKafkaEvent([{ value: classified.message, topic: topicName(orgId, classified.kind), partition: 0 }]);
  return { file, kind: classified.kind, event, expect };
};

/** A parsed input file, or the one-line problem with it. */
type ReadResult = { file: string; value: unknown } | { problem: string };

/** Reads and parses every file (folders expanded); problems are collected, not thrown. */
const readJsonFiles = async (paths: readonly string[], cwd: string): Promise<ReadResult[]> => {
  const { files, problems } = await expandPaths(paths, cwd);
  const results: ReadResult[] = problems.map((problem) => ({ problem }));
  for (const full of files) {
    const file = display(full, cwd);
    let text: string;
    try {
      text = await readFile(full, 'utf8');
    } catch (error) {
      results.push({ problem: `${file}: ${errnoText(error)}` });
      continue;
    }
    try {
      results.push({ file, value: JSON.parse(text) });
    } catch {
      // JSON.parse's message quotes the text; the file name is enough to find it.
      results.push({ problem: `${file}: not JSON` });
    }
  }
  return results;
};

/**
 * Reads every input before anything runs, so that one bad file stops the
 * whole command with one line per problem instead of running half the files.
 */
const loadBatches = async (paths: readonly string[], options: LoadOptions = {}): Promise<InvokeBatch[]> => {
  const problems: string[] = [];
  const batches: InvokeBatch[] = [];
  for (const read of await readJsonFiles(paths, options.cwd ?? process.cwd())) {
    if ('problem' in read) {
      problems.push(read.problem);
      continue;
    }
    const result = classifyFile(read.value, options.customRunParser);
    if (typeof result === 'string') problems.push(`${read.file}: ${result}`);
    else batches.push(toBatch(read.file, result.classified, result.expect, options));
  }
  if (problems.length > 0) throw new InputErrors(problems);
  return batches;
};

export type { InvokeBatch, LoadOptions, ReadResult };
export { loadBatches, readJsonFiles };
