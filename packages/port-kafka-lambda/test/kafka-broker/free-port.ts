import { createServer } from 'node:net';

/**
 * Asks the OS for free loopback ports. All servers stay open until every port is known, so
 * the ports are distinct; there is still a small window before the broker binds them.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolvePort, reject) => {
            server.once('error', reject);
            server.listen(0, host, () => {
              const address = server.address();
              if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
              else resolvePort(address.port);
            });
          })
      )
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
  }
}
