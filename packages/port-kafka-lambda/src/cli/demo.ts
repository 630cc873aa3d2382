/**
 * `npm run demo`: the bundled sample events (events/) through the real
 * handler against the embedded Port API emulator — no AWS account, no Port
 * credentials, nothing to install beyond `npm ci`. Extra arguments go to
 * `invoke` (e.g. `npm run demo -- --verbose`).
 */
import path from 'node:path';
import { withApp } from './app.js';
import { invoke, processIo } from './invoke/run.js';

const BANNER = `port-kafka-lambda demo
Each file in events/ is a message Port writes to Kafka (or a whole Lambda Kafka batch).
The real Lambda handler runs on each one here, in this process, and reports to an
embedded Port API emulator. Below is what Port would show for every run.`;

const FOOTER = `Next steps:
  npm run new-action -- my_action          scaffold a handler, a test and a sample event
  npm run invoke -- events/my-action.json  run it (add --json for a machine-readable summary)
  PORT_CLIENT_ID=… PORT_CLIENT_SECRET=… PORT_REGION=eu npm run invoke -- <file>   use the real Port API`;

// The demo always uses the emulator: it must show the same thing on every machine.
// Durable actions skip their waits unless told otherwise: a rollout's minutes of polling take a moment.
const runDemo = (argv: readonly string[]) => {
  const waits = argv.includes('--skip-waits') || argv.includes('--wait-scale') ? [] : ['--skip-waits'];
  return withApp('demo', (app) =>
    invoke(app, [`${path.resolve('events')}${path.sep}`, ...waits, ...argv], processIo(), {
      banner: BANNER,
      footer: FOOTER,
      forceEmulator: true,
    })
  );
};

export { runDemo };
