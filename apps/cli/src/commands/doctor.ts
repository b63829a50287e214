import { connect } from '../database/connect.js';
import { requireDatabaseUrl, shownUrl } from '../database/require-database-url.js';
import { detectPgBouncer } from '../doctor/detect-pgbouncer.js';
import { availableConnections, doctorProblems } from '../doctor/doctor-problems.js';
import { readServerFacts } from '../doctor/server-facts.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatDuration, severityLabel } from '../output/format.js';
import type { CommandContext, CommandOutcome } from './command.js';
import type { DoctorFlags } from './doctor-options.js';

const timeout = (milliseconds: number): string => (milliseconds === 0 ? 'off' : formatDuration(milliseconds));

/**
 * `strata doctor`: connects, prints the server version and the settings that matter —
 * max_connections against the pool's max (× `--instances`), the statement, lock and
 * idle-in-transaction timeouts, and whether PgBouncer is in front (checked against the pool's
 * `pgbouncer` and `preparedStatements` settings and the migrator's `migrationUrl`) — and flags problems.
 * Exit 1 when a problem is an error (or the connection fails), 0 with warnings only.
 */
export async function doctor(context: CommandContext, flags: DoctorFlags): Promise<CommandOutcome> {
  const config = await context.config();
  const databaseUrl = requireDatabaseUrl(config);
  const instances = flags.instances ?? 1;
  const client = await connect(databaseUrl, 'strata-doctor');
  let facts: Awaited<ReturnType<typeof readServerFacts>>;
  let pgbouncer: Awaited<ReturnType<typeof detectPgBouncer>>;
  try {
    facts = await readServerFacts(client);
    pgbouncer = await detectPgBouncer(client, databaseUrl);
  } finally {
    await client.end();
  }
  const problems = doctorProblems(
    facts,
    {
      poolMax: config.poolMax,
      instances,
      pgbouncer: config.pgbouncer,
      preparedStatements: config.preparedStatements,
      migrationUrl: config.migrationUrl !== undefined,
    },
    pgbouncer,
  );
  const errors = problems.filter((problem) => problem.severity === 'error').length;
  const available = availableConnections(facts);
  const document = {
    database: shownUrl(databaseUrl),
    server: {
      version: facts.version,
      versionNum: facts.versionNum,
      database: facts.database,
      user: facts.user,
    },
    connections: {
      max: facts.maxConnections,
      superuserReserved: facts.superuserReservedConnections,
      reserved: facts.reservedConnections,
      available,
      inUse: facts.connectionsInUse,
    },
    pool: { max: config.poolMax, instances, total: config.poolMax * instances },
    settings: {
      statementTimeoutMs: facts.statementTimeoutMs,
      lockTimeoutMs: facts.lockTimeoutMs,
      idleInTransactionSessionTimeoutMs: facts.idleInTransactionSessionTimeoutMs,
    },
    pgbouncer,
    problems,
  };
  return {
    exitCode: errors > 0 ? EXIT_CODES.failed : EXIT_CODES.ok,
    document,
    render(output) {
      const c = output.colours;
      const row = (label: string, value: string) => output.line(`  ${label.padEnd(38)} ${value}`);
      output.line(`${c.bold('strata doctor')} ${c.dim(shownUrl(databaseUrl))}`);
      output.line();
      row('server', `PostgreSQL ${facts.version} (database ${facts.database}, role ${facts.user})`);
      row(
        'max_connections',
        `${facts.maxConnections} (${available} for ordinary roles, ${facts.connectionsInUse} in use)`,
      );
      row(
        'pool max',
        instances === 1
          ? String(config.poolMax)
          : `${config.poolMax} × ${instances} instances = ${config.poolMax * instances}`,
      );
      row('statement_timeout', timeout(facts.statementTimeoutMs));
      row('lock_timeout', timeout(facts.lockTimeoutMs));
      row('idle_in_transaction_session_timeout', timeout(facts.idleInTransactionSessionTimeoutMs));
      row(
        'PgBouncer in front',
        pgbouncer.detected === null
          ? 'unknown'
          : pgbouncer.detected
            ? `yes${pgbouncer.version ? ` (${pgbouncer.version})` : ''}${pgbouncer.pooling === 'transaction' ? ', transaction pooling' : ''}`
            : 'no',
      );
      for (const line of pgbouncer.evidence) output.line(c.dim(`  ${''.padEnd(38)} ${line}`));
      output.line();
      if (problems.length === 0) {
        output.line(c.green('No problems found.'));
        return;
      }
      for (const problem of problems) {
        output.line(`${severityLabel(c, problem.severity)} ${c.cyan(problem.id)}: ${problem.message}`);
      }
    },
  };
}
