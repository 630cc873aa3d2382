import * as z from 'zod';
import type { CustomRunParser } from '../../messages/normalize.js';
import { topicName } from '../../port/kafka.js';
import { isOrgId, ORG_ID_EXAMPLE } from '../../port/org.js';
import { parseCommandLine } from './args.js';
import { classifyFile } from './classify.js';
import { ExitCode, InputError, problemLines } from './errors.js';
import { readJsonFiles } from './inputs.js';
import { FALLBACK_ORG_ID, type MessageToWrap, orgIdOf, toKafkaEvent } from './kafka.js';

const CONVERT_USAGE = `Usage: npm run to-kafka-event -- <port-message.json>... [--topic <topic>] [--org <org_id>] [--partition <n>] [--offset <n>] [--out <file>]

Wraps Port run or change-log messages in one Lambda Kafka event (base64 JSON values).
  --topic      topic of every record (default: <org>.runs or <org>.change.log by message kind)
  --org        org id for the default topic (default: PORT_ORG_ID, else the message's trigger.by.orgId, else ${FALLBACK_ORG_ID})
  --partition  partition of every record (default 0)
  --offset     offset of the first record per partition (default 0; then counting up)
  --out        write the event to this file instead of stdout`;

const NonNegativeInt = z.coerce.number().int().nonnegative();

interface ConvertResult {
  exitCode: ExitCode;
  /** The event JSON, when conversion succeeded. */
  output?: string;
  outFile?: string;
  problems: string[];
}

const intFlag = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const parsed = NonNegativeInt.safeParse(value);
  if (!parsed.success) throw new InputError(`--${name}: expected a non-negative integer, got "${value}"`);
  return parsed.data;
};

/** Parses the command line and builds the event; never writes files itself. */
const convert = async (
  argv: readonly string[],
  io: { env: NodeJS.ProcessEnv; cwd: string; customRunParser?: CustomRunParser | undefined }
): Promise<ConvertResult> => {
  try {
    const { values, positionals } = parseCommandLine(argv, {
      topic: { type: 'string' },
      org: { type: 'string' },
      partition: { type: 'string' },
      offset: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) return { exitCode: ExitCode.Ok, output: `${CONVERT_USAGE}\n`, problems: [] };
    if (positionals.length === 0) throw new InputError('no input: give one or more Port message files');
    if (values.org !== undefined && !isOrgId(values.org)) {
      throw new InputError(`--org: expected a Port org id such as ${ORG_ID_EXAMPLE}, got "${values.org}"`);
    }
    if (values.topic !== undefined && values.topic.trim() === '') throw new InputError('--topic: must not be empty');
    const partition = intFlag('partition', values.partition, 0);
    const firstOffset = intFlag('offset', values.offset, 0);
    const envOrg = io.env.PORT_ORG_ID !== undefined && io.env.PORT_ORG_ID !== '' ? io.env.PORT_ORG_ID : undefined;

    const problems: string[] = [];
    const messages: MessageToWrap[] = [];
    for (const read of await readJsonFiles(positionals, io.cwd)) {
      if ('problem' in read) {
        problems.push(read.problem);
        continue;
      }
      const result = classifyFile(read.value, io.customRunParser);
      if (typeof result === 'string') problems.push(`${read.file}: ${result}`);
      else if (result.classified.kind === 'kafka-event') problems.push(`${read.file}: already a Lambda Kafka event`);
      else {
        const message = result.classified.message;
        const orgId = values.org ?? envOrg ?? orgIdOf(message) ?? FALLBACK_ORG_ID;
        const topic = values.topic ?? topicName(orgId, result.classified.kind);
        const earlier = messages.filter((m) => m.topic === topic).length;
        messages.push({ value: message, topic, partition, offset: firstOffset + earlier });
      }
    }
    if (problems.length > 0) return { exitCode: ExitCode.BadInput, problems };
    const output = `${JSON.stringify(toKafkaEvent(messages), null, 2)}\n`;
    return { exitCode: ExitCode.Ok, output, problems: [], ...(values.out ? { outFile: values.out } : {}) };
  } catch (error) {
    const lines = problemLines(error);
    if (!lines) throw error;
    return { exitCode: ExitCode.BadInput, problems: lines };
  }
};

export { CONVERT_USAGE, convert };
