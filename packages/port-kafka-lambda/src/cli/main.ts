/**
 * `port-kafka-lambda <command> [args]`: the package's commands, run from the
 * root of a project made from the template (the folder holding lambda/app.ts).
 */
import { runBuildConsumer } from './build-consumer.js';
import { runDemo } from './demo.js';
import { runInvoke } from './invoke.js';
import { runNewAction } from './new-action.js';
import { runPort } from './port.js';
import { runToKafkaEvent } from './to-kafka-event.js';

const USAGE = `Usage: port-kafka-lambda <command> [args]

Commands (run from the project root, where lambda/app.ts is):
  demo                       the sample events in events/ through the handler, on an embedded Port emulator
  invoke <file|folder>...    the real handler on Lambda Kafka events or bare Port messages
  new-action <identifier>    scaffold an action, its test and a sample event
  to-kafka-event <file>...   wrap Port messages in a Lambda Kafka event
  consume                    a long-lived Kafka consumer on Port's brokers, running the same handler
  build-consumer [outdir]    bundle the consumer into one file for a container image
  port sync|pull             actions as code: write the app's actions and automations to Port, or pull an action's inputs
  redrive [--replay|--fail] [--apply]  the parking and on-failure queues: list, replay through the handler, or end their runs`;

const COMMANDS: Record<string, (argv: readonly string[]) => Promise<number | void>> = {
  demo: runDemo,
  invoke: runInvoke,
  'new-action': runNewAction,
  'to-kafka-event': runToKafkaEvent,
  // The consumer and the Kafka client load only when asked for.
  consume: async (argv) => {
    const [{ loadApp }, { runConsumer }] = await Promise.all([import('./app.js'), import('./consume.js')]);
    const app = await loadApp(process.cwd()).catch((error: unknown) => {
      process.stderr.write(`consume: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    });
    await runConsumer(app, argv);
  },
  'build-consumer': runBuildConsumer,
  port: (argv) => runPort(argv),
  // The SQS client loads only when asked for.
  redrive: async (argv) => (await import('./redrive.js')).runRedrive(argv),
};

const [command, ...rest] = process.argv.slice(2);
const run = command === undefined ? undefined : COMMANDS[command];
if (run === undefined) {
  const known = command === undefined || command === '--help' || command === '-h';
  (known ? process.stdout : process.stderr).write(`${known ? '' : `Unknown command ${command}\n`}${USAGE}\n`);
  process.exitCode = known ? 0 : 2;
} else {
  const code = await run(rest);
  if (typeof code === 'number') process.exitCode = code;
}
