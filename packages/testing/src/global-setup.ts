import { startPostgres } from '@strata/local-postgres';
import { dropDatabase } from '@strata/local-postgres/test-database';
import { createMigrator } from '@strata/migrate';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { createTemplateDatabase } from './template-database.js';
import {
  loadTestingConfigFile,
  type ResolvedTestingConfig,
  resolveTestingConfig,
  type TestingConfig,
} from './testing-config.js';

declare module 'vitest' {
  export interface ProvidedContext {
    strataTestServerUrl: string;
    strataTemplateDatabase: string;
    strataPoolOptions: Record<string, unknown>;
  }
}

async function migrateTemplate(config: ResolvedTestingConfig, connectionString: string): Promise<void> {
  if (config.migrate) {
    await config.migrate(connectionString);
  } else if (config.migrations) {
    const migrator = createMigrator({ directory: config.migrations, connectionString });
    try {
      await migrator.up();
      if (config.postDeploy) {
        await migrator.markDeploy('strata-testing');
        await migrator.up({ postDeploy: true });
      }
    } finally {
      await migrator.close();
    }
  }
  await config.seed?.(connectionString);
}

/**
 * Builds a vitest `globalSetup`: starts one PostgreSQL server (the @strata/local-postgres
 * chain: env URL → Docker → embedded, with durability off), migrates a template database
 * once, and hands the workers what they need to clone it.
 *
 * @example
 * // test/global-setup.ts
 * export default createGlobalSetup({ migrations: './migrations' });
 */
export function createGlobalSetup(config?: TestingConfig) {
  return async function setup(project: TestProject): Promise<() => Promise<void>> {
    const root = project.config.root;
    const resolved = resolveTestingConfig(config ?? (await loadTestingConfigFile(root)), root);
    const server = await startPostgres({ settings: { max_connections: 300, ...resolved.serverSettings } });
    try {
      await createTemplateDatabase({
        serverUrl: server.connectionString,
        name: resolved.templateDatabase,
        migrate: (url) => migrateTemplate(resolved, url),
      });
    } catch (error) {
      await server.stop();
      throw error;
    }
    project.provide('strataTestServerUrl', server.connectionString);
    project.provide('strataTemplateDatabase', resolved.templateDatabase);
    project.provide('strataPoolOptions', resolved.pool);
    return async () => {
      await dropDatabase(resolved.templateDatabase, server.connectionString).catch(() => undefined);
      await server.stop();
    };
  };
}

/** The zero-configuration global setup: reads `strata.test.config.{mjs,js,json}` or uses `./migrations`. */
export default createGlobalSetup();
