import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMigrator } from '@strata/migrate';
import knexFactory from 'knex';
import pg from 'pg';
// The SQL examples are read from the Markdown itself, as the migrate package's own test does.
import {
  codeBlocks,
  type ExampleFile,
  phasedExample,
  quickStartFiles,
  readLintGuide,
  readReadme,
} from '../../../packages/migrate/src/test-support/doc-examples.js';
import type { Benchmark, BenchmarkContext, Measurement } from '../benchmark.js';
import { quantile } from '../statistics.js';
import { startWriters } from '../writers.js';

const ROWS = 1_000_000;
const WRITERS = 8;
const BASELINE_MS = 10_000;

interface Examples {
  /** README's quick start: 001 creates invoices; 002–006 add a required currency to it. */
  readme: ExampleFile[];
  /** LINT.md's expand → backfill → validate → [CODE DEPLOY] → contract example on orders. */
  lintBeforeDeploy: ExampleFile[];
  lintAfterDeploy: ExampleFile[];
}

interface State {
  context: BenchmarkContext;
  examples: Examples;
  baselineUrl: string;
  round: number;
}

/** Which code the application runs, per table: switched at each sequence's deploy. */
interface Deployed {
  invoices: boolean;
  orders: boolean;
}

const randomRow = (): number => 1 + Math.floor(Math.random() * ROWS);

// The writes of the documentation's own test (documented-examples.test.ts), at 1M rows: half
// the writers work on invoices, half on orders; each alternates inserts and updates of old
// rows, and writes the new column once its code is deployed.
const applicationWrites = (pool: pg.Pool, deployed: Deployed) => (index: number) => {
  const insert = Math.random() < 0.5;
  if (index % 2 === 0) {
    const currency = deployed.invoices ? 'currency' : 'old_currency';
    return insert
      ? pool.query(`insert into invoices (${currency}) values ('CHF')`)
      : pool.query(`update invoices set ${currency} = 'GBP' where id = $1`, [randomRow()]);
  }
  if (!insert) return pool.query('update orders set amount = amount + 1 where id = $1', [randomRow()]);
  return deployed.orders
    ? pool.query('insert into orders (currency_id, amount) values (2, 1)')
    : pool.query("insert into orders (currency_code, amount) values ('USD', 1)");
};

// The tables the examples change, with 1M rows each. `finalSchema`: as the examples leave
// them (for the baseline's writers, who run the new code); otherwise invoices must exist
// already (the README's 001 creates it) and orders is as LINT.md's example starts from.
async function fillTables(connectionString: string, finalSchema: boolean): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    if (finalSchema) {
      await client.query(
        "create table invoices (id bigint generated always as identity primary key, currency text default 'EUR')",
      );
      await client.query("insert into invoices (currency) select 'USD' from generate_series(1, $1::int)", [
        ROWS,
      ]);
    } else {
      await client.query(
        "insert into invoices (old_currency) select case when i % 3 = 0 then null else 'USD' end from generate_series(1, $1::int) i",
        [ROWS],
      );
    }
    await client.query(
      "create table currencies (id bigint primary key, code text not null); insert into currencies values (1, 'EUR'), (2, 'USD')",
    );
    await client.query(
      `create table orders (id bigint generated always as identity primary key, ${finalSchema ? 'currency_id bigint not null default 1 references currencies (id)' : 'currency_code text'}, amount int not null default 0)`,
    );
    await client.query(
      `insert into orders (${finalSchema ? 'currency_id' : 'currency_code'}, amount) select ${finalSchema ? '1' : "'EUR'"}, i from generate_series(1, $1::int) i`,
      [ROWS],
    );
    await client.query('vacuum analyze invoices, orders, currencies');
  } finally {
    await client.end();
  }
}

/**
 * The add-a-required-column sequences of README.md (quick start 002–006 on invoices) and
 * LINT.md (expand → backfill → validate → [CODE DEPLOY] → contract on orders), verbatim from
 * the Markdown, each on 1M rows, run by the migrator while 8 writers insert and update rows
 * of both tables as the deployed application would (switching to the new code at each
 * deploy). Subject: the writers' p99 during both sequences; baseline: their p99 on the same
 * tables with no migration. Lower is better; target ≤ 2× with no writer error.
 */
const documentedPatterns: Benchmark<State> = {
  id: 'migrate.documented-patterns.1m',
  subject: `writers' p99 while README.md's and LINT.md's add-a-NOT-NULL-column sequences run on 1M rows each (${WRITERS} writers)`,
  baseline: `writers' p99 on the same tables with no migration (${WRITERS} writers)`,
  unit: 'ms',
  higherIsBetter: false,
  rounds: 2,
  async setup(context) {
    const readme = quickStartFiles(await readReadme());
    const [, phased = ''] = codeBlocks(await readLintGuide(), 'sql');
    const { beforeDeploy, afterDeploy } = phasedExample(phased);
    const examples = { readme, lintBeforeDeploy: beforeDeploy, lintAfterDeploy: afterDeploy };
    const baselineUrl = await context.createDatabase('bench_migrate_documented_base');
    await fillTables(baselineUrl, true);
    return { context, examples, baselineUrl, round: 0 };
  },
  async runSubject(state): Promise<Measurement> {
    state.round++;
    const url = await state.context.createDatabase(`bench_migrate_documented_${state.round}`);
    const directory = await mkdtemp(path.join(tmpdir(), 'strata-bench-documented-'));
    const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 1, max: 2 } });
    const migrator = createMigrator({ directory, knex });
    const write = (files: readonly ExampleFile[]) =>
      Promise.all(files.map((file) => writeFile(path.join(directory, file.fileName), file.text)));
    const [create, ...readmeSteps] = state.examples.readme;
    const deployed: Deployed = { invoices: false, orders: false };
    const pool = new pg.Pool({ connectionString: url, max: WRITERS });
    const timings: string[] = [];
    const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await work();
      timings.push(`${label} ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return result;
    };
    let writers: ReturnType<typeof startWriters> | undefined;
    try {
      await write(create ? [create] : []);
      await migrator.up();
      await fillTables(url, false);
      writers = startWriters(WRITERS, applicationWrites(pool, deployed));

      // README.md: 002–005 before the deploy, 006 (contract) after it.
      await write(readmeSteps);
      await timed('README 002–005', () => migrator.up());
      await migrator.markDeploy('readme');
      deployed.invoices = true;
      await timed('README 006', () => migrator.up({ postDeploy: true }));

      // LINT.md: 001–004 before the deploy, 005 after it; numbered after the README's files
      // (both examples use seqs from 001), their SQL as written.
      const renumber = (file: ExampleFile): ExampleFile => ({
        ...file,
        fileName: file.fileName.replace(/^(\d+)_/, (_, seq: string) => `${100 + Number(seq)}_`),
      });
      await write(state.examples.lintBeforeDeploy.map(renumber));
      await timed('LINT.md 001–004', () => migrator.up());
      await migrator.markDeploy('lint-guide');
      deployed.orders = true;
      await write(state.examples.lintAfterDeploy.map(renumber));
      await timed('LINT.md 005', () => migrator.up({ postDeploy: true }));
    } finally {
      await writers?.stop();
      await migrator.close();
      await knex.destroy();
      await pool.end();
      await rm(directory, { recursive: true, force: true });
    }
    const latencies = writers?.latenciesMs ?? [];
    console.log(
      `  migrate.documented-patterns.1m round ${state.round}: ${timings.join(', ')}; writers p99 ${quantile(latencies, 0.99).toFixed(2)} ms, max ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} ms over ${latencies.length} writes, ${writers?.errors ?? 0} writer errors${writers?.firstErrors.length ? ` (${writers.firstErrors.join(' | ')})` : ''}`,
    );
    return { value: quantile(latencies, 0.99), latenciesMs: latencies };
  },
  async runBaseline(state): Promise<Measurement> {
    const pool = new pg.Pool({ connectionString: state.baselineUrl, max: WRITERS });
    const writers = startWriters(WRITERS, applicationWrites(pool, { invoices: true, orders: true }));
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    await writers.stop();
    await pool.end();
    console.log(
      `  migrate.documented-patterns.1m baseline: writers p99 ${quantile(writers.latenciesMs, 0.99).toFixed(2)} ms over ${writers.latenciesMs.length} writes, ${writers.errors} writer errors`,
    );
    return { value: quantile(writers.latenciesMs, 0.99), latenciesMs: writers.latenciesMs };
  },
};

export const benchmarks: Benchmark[] = [documentedPatterns as Benchmark];
