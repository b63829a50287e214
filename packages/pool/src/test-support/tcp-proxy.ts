import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder in front of the real test server. It lets a test make PostgreSQL
 * unreachable (nothing listening), reachable again, or drop every live connection at once,
 * the way a server restart looks to a client.
 */
export class TcpProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  readonly #pairs = new Set<[Socket, Socket]>();

  private constructor(server: Server, port: number, target: { host: string; port: number }) {
    this.#server = server;
    this.port = port;
    this.#target = target;
  }

  /** Reserves a free port without listening yet (connections are refused until `start`). */
  static async reserve(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((resolve) => probe.close(resolve));
    const proxy: TcpProxy = new TcpProxy(
      createServer((client) => proxy.#forward(client)),
      port,
      target,
    );
    return proxy;
  }

  start(): Promise<void> {
    return new Promise((resolve) => this.#server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  /** Cuts every connection going through the proxy. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /**
   * Stops forwarding on every live connection without closing it, as a network partition
   * or a hung server would: the client's socket stays open and nothing answers.
   */
  freezeConnections(): void {
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    this.#pairs.clear();
  }

  /** Drops every connection and stops listening (new connections are refused); `start` again to resume. */
  async stop(): Promise<void> {
    this.dropConnections();
    if (this.#server.listening) await new Promise((resolve) => this.#server.close(resolve));
  }

  #forward(client: Socket): void {
    const upstream = connect(this.#target.port, this.#target.host);
    this.#sockets.add(client).add(upstream);
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const close = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }
}
