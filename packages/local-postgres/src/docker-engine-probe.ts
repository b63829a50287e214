import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where a Docker engine may listen: a unix socket path or a TCP host and port. */
type Endpoint = { socketPath: string } | { host: string; port: number };

function candidateEndpoints(environment: NodeJS.ProcessEnv): Endpoint[] {
  const dockerHost = environment.DOCKER_HOST;
  if (dockerHost) {
    if (dockerHost.startsWith('unix://')) return [{ socketPath: dockerHost.slice('unix://'.length) }];
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    return [{ host: url.hostname, port: Number(url.port || 2375) }];
  }
  const sockets = [
    '/var/run/docker.sock',
    environment.XDG_RUNTIME_DIR && path.join(environment.XDG_RUNTIME_DIR, 'docker.sock'),
    path.join(homedir(), '.docker', 'run', 'docker.sock'),
    path.join(homedir(), '.docker', 'desktop', 'docker.sock'),
  ].filter((socket): socket is string => Boolean(socket) && existsSync(socket as string));
  return sockets.map((socketPath) => ({ socketPath }));
}

function ping(endpoint: Endpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket: Socket = connect('socketPath' in endpoint ? { path: endpoint.socketPath } : endpoint);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) done(/^HTTP\/1\.[01] 200/.test(answer));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(/^HTTP\/1\.[01] 200/.test(answer)));
  });
}

/**
 * Asks the Docker engine's `/_ping` endpoint whether it answers, within `timeoutMs`. A docker
 * client without an engine (as on this project's CI) answers no at once: a missing socket is
 * not even dialled, and a dead one fails on connect.
 */
export async function probeDockerEngine(
  timeoutMs: number,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<{ available: boolean; tried: string }> {
  const endpoints = candidateEndpoints(environment);
  if (endpoints.length === 0) return { available: false, tried: 'no DOCKER_HOST and no docker.sock found' };
  for (const endpoint of endpoints) {
    if (await ping(endpoint, timeoutMs)) return { available: true, tried: describe(endpoint) };
  }
  return { available: false, tried: endpoints.map(describe).join(', ') };
}

function describe(endpoint: Endpoint): string {
  return 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
}
