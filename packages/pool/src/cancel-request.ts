const CANCEL_REQUEST_CODE = 80_877_102;

/**
 * Asks the server to cancel whatever backend `processId` is running, with the protocol's
 * CancelRequest on a separate socket (it takes no connection slot and needs no login).
 * Resolves once the server has closed that socket; never rejects. `node:net` is loaded here,
 * on the first cancel, rather than with the pool: `pg` loads it only to connect as well.
 */
export async function sendCancelRequest(
  target: { host: string; port: number },
  processId: number,
  secretKey: number,
  timeoutMs: number,
): Promise<void> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const message = Buffer.alloc(16);
    message.writeInt32BE(16, 0);
    message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    message.writeInt32BE(processId, 8);
    message.writeInt32BE(secretKey, 12);
    const send = () => socket.end(message);
    const socket = target.host.startsWith('/')
      ? connect(`${target.host}/.s.PGSQL.${target.port}`, send)
      : connect(target.port, target.host, send);
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => resolve());
  });
}
