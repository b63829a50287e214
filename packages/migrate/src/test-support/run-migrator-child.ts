// Test support: runs `up` in a separate Node.js process so a test can kill it mid-migration.
// Reports every migrator event as a JSON line on stdout.
import { createMigrator } from '../create-migrator.js';

const directory = process.env.STRATA_MIGRATIONS_DIRECTORY ?? '';
const connectionString = process.env.STRATA_MIGRATE_DATABASE_URL ?? '';
const migrator = createMigrator({
  directory,
  connectionString,
  onEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
});
try {
  const result = await migrator.up();
  process.stdout.write(`${JSON.stringify({ type: 'result', applied: result.applied.length })}\n`);
} finally {
  await migrator.close();
}
