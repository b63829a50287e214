#!/usr/bin/env node
// `pnpm start`: runs the API until SIGTERM or SIGINT, or until the package manager that
// started it exits, then shuts down cleanly (drain HTTP, close the pool, stop the embedded
// PostgreSQL, flush telemetry) and exits 0.
import { InvalidConfigError } from '@strata/errors';
import type { RunningServer } from './start-server.js';
import { startTelemetry } from './start-telemetry.js';
import { watchLauncher } from './watch-launcher.js';

// Before the server's modules load: the HTTP instrumentation must see node:http required.
// Without OTEL_* settings nothing is loaded here.
const telemetry = await startTelemetry(process.env);
const { startServer } = await import('./start-server.js');

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

let server: RunningServer | undefined;
let signalled: NodeJS.Signals | undefined;
let launcherGone: string | undefined;

async function shutDown(): Promise<void> {
  if (!server) return; // still starting: handled once startServer returns
  server.logger.info(launcherGone ? { launcher: launcherGone } : { signal: signalled }, 'shutdown requested');
  try {
    await server.close();
    process.exitCode = 0;
  } catch (error) {
    server.logger.error({ err: error }, 'shutdown failed');
    process.exitCode = 1;
  }
  await telemetry?.shutdown().catch((error: unknown) => {
    server?.logger.warn({ err: error }, 'exporting the last telemetry failed');
  });
}

function onSignal(signal: NodeJS.Signals): void {
  if (signalled) {
    // A second signal: the operator does not want to wait for the drain.
    process.exit(1);
  }
  signalled = signal;
  void shutDown();
}

// With this handler installed, @strata/local-postgres leaves stopping the embedded server
// to us (it stops it on a signal only when nothing else handles it).
for (const signal of SIGNALS) process.on(signal, onSignal);

// A process manager may signal only the outermost process of `npx pnpm start` (npx → pnpm →
// sh → node); the package managers exit without passing the signal on. Their exit is this
// process's signal to stop, so neither it nor its embedded PostgreSQL is left orphaned.
// Ctrl+C reaches the whole chain at once: then the launcher's exit is no second signal.
watchLauncher((launcher) => {
  if (signalled) return;
  launcherGone = launcher.command;
  onSignal('SIGTERM');
});

try {
  server = await startServer();
} catch (error) {
  // startServer has logged why (password-free); a configuration error has no logger yet.
  if (error instanceof InvalidConfigError) console.error(error.message);
  process.exit(1);
}

// A signal that came while starting is acted on now that there is something to stop.
if (signalled) await shutDown();
