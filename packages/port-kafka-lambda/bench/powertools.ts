// What a team would write instead of this package, for the per-record
// comparison: Powertools' kafkaConsumer decoding each value as JSON and
// validating it with the zod schema of Port's v1 run message, then looking up
// the action by name, as the handler's router does (no Port calls on either side).
import { kafkaConsumer } from '@aws-lambda-powertools/kafka';
import type { SchemaConfig } from '@aws-lambda-powertools/kafka/types';
import type { Context } from 'aws-lambda';
import { PortRunMessage } from '../src/messages/run.js';
import { exampleApp } from '../test/helpers/example-app.js';

const schemaConfig = { value: { type: 'json', parserSchema: PortRunMessage } } satisfies SchemaConfig;

/** Returns the number of runs routed to a known action; any invalid record throws (Powertools' default). */
const powertoolsHandler = () => {
  const actions = new Map(exampleApp.actions.map((a) => [a.identifier, a]));
  const handler = kafkaConsumer<unknown, PortRunMessage>(async (event) => {
    let routed = 0;
    for (const record of event.records) {
      const message = record.value;
      if (actions.has(message.action)) routed++;
    }
    return routed;
  }, schemaConfig);
  // kafkaConsumer types its event as MSKEvent; the batches are Lambda's self-managed Kafka events, the same shape.
  return (event: unknown, context: Context) => handler(event as Parameters<typeof handler>[0], context);
};

export { powertoolsHandler };
