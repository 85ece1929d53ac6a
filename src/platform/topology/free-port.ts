import net from 'node:net';

/**
 * `count` different ports nobody listens on now, on 127.0.0.1 (for child services, bench and test
 * servers). Each is held until all are chosen: a port closed at once may be handed out again by
 * the next ask, and two services given one port was seen (one of them then answered for both).
 */
export async function freePorts(count: number): Promise<number[]> {
  const held = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer().listen(0, '127.0.0.1', () => resolve(srv));
          srv.on('error', reject);
        }),
    ),
  );
  const ports = held.map((srv) => (srv.address() as net.AddressInfo).port);
  await Promise.all(held.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

/** One port nobody listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}
