/**
 * `npm run to-kafka-event -- <port-message.json>... [--topic t] [--org id] [--partition n] [--offset n] [--out file]`:
 * wraps Port messages in one Lambda Kafka event (for `sam local invoke -e`,
 * the Lambda console's test events, or `npm run invoke`). See docs/local-development.md.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadApp } from './app.js';
import { convert } from './invoke/convert.js';

const runToKafkaEvent = async (argv: readonly string[]): Promise<number> => {
  // The app's custom parser, when the project has an app, reads payloads of its own design.
  const app = await loadApp(process.cwd()).catch(() => undefined);
  const { exitCode, output, problems, outFile } = await convert(argv, {
    env: process.env,
    cwd: process.cwd(),
    customRunParser: app?.customRunParser,
  });
  for (const line of problems) process.stderr.write(`to-kafka-event: ${line}\n`);
  if (output !== undefined) {
    if (outFile) {
      await writeFile(path.resolve(process.cwd(), outFile), output);
      process.stderr.write(`Wrote ${outFile}\n`);
    } else process.stdout.write(output);
  }
  return exitCode;
};

export { runToKafkaEvent };
