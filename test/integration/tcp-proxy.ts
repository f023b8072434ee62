// A loopback TCP proxy in front of the apiserver, to take it away from a client and give it
// back: what an apiserver restart looks like from the operator (connections reset, then
// refused, then accepted again). TLS passes through untouched.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  /** Connections reset by down() so far. */
  connectionsCut = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Listens (again) on the same port as before, or a free one the first time. */
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.#server = server;
  }

  /** Resets every connection and refuses new ones until up(). */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) {
      this.connectionsCut++;
      s.resetAndDestroy();
    }
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
