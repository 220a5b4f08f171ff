import net from 'node:net';

/**
 * Free loopback ports for servers that cannot report a port they picked themselves (e.g. a child process given
 * fixed ports). Another process could take a port before it is used; acceptable on a test machine.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** True when something listens on any of the loopback ports (e.g. a child process that has not exited yet). */
export async function anyPortInUse(ports: readonly number[]): Promise<boolean> {
  const inUse = await Promise.all(
    ports.map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const server = net.createServer();
          server.once('error', () => resolve(true));
          server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
        }),
    ),
  );
  return inUse.some(Boolean);
}
