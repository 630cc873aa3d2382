import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { DynamoRunLedger } from '../../src/runs/ledger/dynamodb.js';
import { createRunLedgerTableInput } from '../../src/runs/ledger/table.js';

/** Credentials dynalite accepts (it checks that a signature is present, not what signed it). */
const DUMMY_CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };
const REGION = 'eu-west-1';

/**
 * A real DynamoDB-compatible server (dynalite, in memory) on 127.0.0.1 at a
 * free port, with a client pointed at it. Each `createLedgerTable` makes a new
 * table with the schema the CDK construct deploys (runs/ledger/table.ts), so
 * tests sharing one server do not see each other's runs.
 */
const startDynamoDb = async () => {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const client = new DynamoDBClient({ endpoint, region: REGION, credentials: DUMMY_CREDENTIALS });
    clients.push(client);
    return client;
  };
  const client = newClient();
  let tables = 0;

  return {
    endpoint,
    region: REGION,
    credentials: DUMMY_CREDENTIALS,
    client,
    /** Another client of the same server: a second "container" has its own. */
    newClient,
    /** Creates an empty ledger table and returns its name. */
    async createLedgerTable(): Promise<string> {
      const name = `run-ledger-${++tables}`;
      await client.send(new CreateTableCommand(createRunLedgerTableInput(name)));
      return name;
    },
    /** A DynamoDB ledger on `tableName`, with its own client and, if given, its own clock. */
    ledger(tableName: string, now?: () => number): DynamoRunLedger {
      return new DynamoRunLedger({ tableName, client: newClient(), ...(now ? { now } : {}) });
    },
    async close(): Promise<void> {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

type DynamoDbServer = Awaited<ReturnType<typeof startDynamoDb>>;

export type { DynamoDbServer };
export { startDynamoDb };
