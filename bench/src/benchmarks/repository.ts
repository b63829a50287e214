import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createPool, type Pool } from '@strata/pool';
import { BaseModel, createRepository } from '@strata/repository';
import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Benchmark, BenchmarkContext, Measurement } from '../benchmark.js';
import { runClosedLoop } from '../closed-loop.js';

const PSQL = process.env.PSQL ?? '/usr/lib/postgresql/15/bin/psql';

/** The two repository methods these benchmarks measure. */
interface RepositoryUnderTest {
  getById(id: number): Promise<unknown>;
  createMany(rows: readonly object[]): Promise<unknown[]>;
}

const ROWS = 100_000;
const CONCURRENCY = 16;
const DURATION_MS = 2_000;
const WARMUP_MS = 300;
const BY_ID = 'select * from customers where id = $1';

// Spreads ids over the whole table without a random generator on the hot path.
const idFor = (index: number) => ((index * 7_919) % ROWS) + 1;

let customersDatabase: Promise<string> | undefined;

/** 100k customers with the base model's columns, created once per run. */
function customers(context: BenchmarkContext): Promise<string> {
  customersDatabase ??= (async () => {
    const url = await context.createDatabase('bench_repository_reads');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`create table customers (
        id integer primary key, email text not null, name text not null, version integer not null default 1,
        created_at timestamptz not null, updated_at timestamptz not null)`);
      await client.query(
        `insert into customers (id, email, name, created_at, updated_at)
         select g, 'customer' || g || '@example.com', 'Customer ' || g, now(), now() from generate_series(1, ${ROWS}) g`,
      );
      await client.query('vacuum analyze customers');
    } finally {
      await client.end();
    }
    return url;
  })();
  return customersDatabase;
}

function strataPool(url: string, max: number): Pool {
  return createPool(
    { connectionString: url, max, min: max, applicationName: 'bench_repository' },
    { environment: {} },
  );
}

function loop(operation: (index: number) => Promise<unknown>): Promise<Measurement> {
  return runClosedLoop({ concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: WARMUP_MS, operation });
}

interface ReadState {
  strata: Pool;
  bare: pg.Pool;
  repository: RepositoryUnderTest;
  objectionModel: typeof Model;
}

function readBenchmark(
  id: string,
  baseline: string,
  runBaseline: (state: ReadState) => Promise<Measurement>,
): Benchmark<ReadState> {
  return {
    id,
    subject: `Repository getById, prepared + hydrated (c${CONCURRENCY})`,
    baseline,
    unit: 'ops/s',
    higherIsBetter: true,
    rounds: 5,
    async setup(context) {
      const url = await customers(context);
      class Customer extends BaseModel {
        static override tableName = 'customers';
      }
      const strata = strataPool(url, CONCURRENCY);
      await strata.ready();
      const bare = new pg.Pool({ connectionString: url, max: CONCURRENCY });
      return {
        strata,
        bare,
        repository: createRepository(strata, Customer),
        objectionModel: strata.bindModel(Customer),
      };
    },
    runSubject: ({ repository }) => loop((index) => repository.getById(idFor(index))),
    runBaseline,
    async teardown({ strata, bare }) {
      await Promise.all([strata.close(), bare.end()]);
    },
  };
}

const getById = readBenchmark(
  'repo.get-by-id.c16',
  `bare pg.Pool, default statements, same select (c${CONCURRENCY})`,
  ({ bare }) => loop((index) => bare.query(BY_ID, [idFor(index)])),
);

const getByIdVersusObjection = readBenchmark(
  'repo.get-by-id.vs-objection.c16',
  `Objection findById on the same pool (c${CONCURRENCY})`,
  ({ objectionModel }) => loop(async (index) => objectionModel.query().findById(idFor(index))),
);

interface ObjectionState {
  strata: Pool;
  plain: Knex;
  onStrata: typeof Model;
  onPlain: typeof Model;
}

/**
 * Objection `findById` with the model bound to the Strata pool's Knex, against the same model
 * bound to plain Knex on its own (tarn) pool: what moving Objection code onto Strata costs.
 */
const findByIdObjectionVersusPlain: Benchmark<ObjectionState> = {
  id: 'repo.find-by-id.objection-vs-plain.c16',
  subject: `Objection findById on the Strata pool (c${CONCURRENCY})`,
  baseline: `Objection findById on plain Knex and its own pool (c${CONCURRENCY})`,
  unit: 'ops/s',
  higherIsBetter: true,
  rounds: 5,
  async setup(context) {
    const url = await customers(context);
    class Customer extends Model {
      static override tableName = 'customers';
    }
    const strata = strataPool(url, CONCURRENCY);
    await strata.ready();
    const plain = knexFactory({
      client: 'pg',
      connection: url,
      pool: { min: CONCURRENCY, max: CONCURRENCY },
    });
    return { strata, plain, onStrata: strata.bindModel(Customer), onPlain: Customer.bindKnex(plain) };
  },
  runSubject: ({ onStrata }) => loop(async (index) => onStrata.query().findById(idFor(index))),
  runBaseline: ({ onPlain }) => loop(async (index) => onPlain.query().findById(idFor(index))),
  async teardown({ strata, plain }) {
    await Promise.all([strata.close(), plain.destroy()]);
  },
};

interface Reading {
  reading: number;
  label: string;
  note: string | null;
  amount: string;
  taken_at: Date;
}

// Values that need escaping in both COPY text and CSV: quotes, commas, tabs, newlines, backslashes, NULLs, unicode.
function readingRows(): Reading[] {
  const start = Date.UTC(2024, 0, 1);
  return Array.from({ length: ROWS }, (_, i) => ({
    reading: i,
    label: `sensor ${i % 500}`,
    note: i % 10 === 0 ? null : i % 10 === 1 ? `said "hi", then\tleft\nC:\\temp — ünïcödé ${i}` : `note ${i}`,
    amount: `${i}.${String(i % 100).padStart(2, '0')}`,
    taken_at: new Date(start + i * 1_000),
  }));
}

function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\n\r]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value;
}

interface WriteState {
  url: string;
  strata: Pool;
  rows: Reading[];
  repository: RepositoryUnderTest;
  directory: string;
  csvFile: string;
}

let writeDatabases = 0;

function writeBenchmark(
  id: string,
  baseline: string,
  runBaseline: (state: WriteState) => Promise<Measurement>,
  available?: () => Promise<true | { skipped: string }>,
): Benchmark<WriteState> {
  return {
    id,
    subject: `Repository createMany of ${ROWS.toLocaleString('en-US')} rows (COPY, ids returned)`,
    baseline,
    unit: 'rows/s',
    higherIsBetter: true,
    rounds: 5,
    ...(available ? { available } : {}),
    async setup(context) {
      const url = await context.createDatabase(`bench_repository_writes_${writeDatabases++}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`create table readings (
          id bigserial primary key, reading integer not null, label text not null, note text,
          amount numeric not null, taken_at timestamptz not null)`);
      } finally {
        await client.end();
      }
      class ReadingModel extends BaseModel {
        static override tableName = 'readings';
        declare reading: number;
        declare label: string;
        declare note: string | null;
        declare amount: string;
        declare taken_at: Date;
      }
      const strata = strataPool(url, 4);
      await strata.ready();
      const repository: RepositoryUnderTest = createRepository(strata, ReadingModel);
      const rows = readingRows();
      // Reads the table description and warms the COPY path up (JIT), as psql needs no warming.
      await repository.createMany(rows.slice(0, 20_000));
      await strata.query('truncate readings');
      const directory = await mkdtemp(path.join(tmpdir(), 'strata-bench-repository-'));
      const csvFile = path.join(directory, 'readings.csv');
      const csv = rows
        .map((row) =>
          [
            String(row.reading),
            csvField(row.label),
            csvField(row.note),
            row.amount,
            row.taken_at.toISOString(),
          ].join(','),
        )
        .join('\n');
      await writeFile(csvFile, `${csv}\n`);
      return { url, strata, rows, repository, directory, csvFile };
    },
    async runSubject({ strata, rows, repository }) {
      await strata.query('truncate readings');
      return timed(async () => {
        const ids = await repository.createMany(rows);
        if (ids.length !== rows.length)
          throw new Error(`createMany returned ${ids.length} ids for ${rows.length} rows`);
      });
    },
    runBaseline,
    async teardown({ strata, directory }) {
      await strata.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function timed(work: () => Promise<void>): Promise<Measurement> {
  const started = performance.now();
  await work();
  return { value: ROWS / ((performance.now() - started) / 1000) };
}

const createManyVersusPsql = writeBenchmark(
  'repo.create-many.100k',
  `psql \\copy of the same rows from a CSV file (process start included)`,
  async ({ strata, url, csvFile }) => {
    await strata.query('truncate readings');
    const target = new URL(url);
    return timed(async () => {
      await promisify(execFile)(
        PSQL,
        [
          '-X',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          target.hostname,
          '-p',
          target.port || '5432',
          '-U',
          decodeURIComponent(target.username),
          '-d',
          target.pathname.slice(1),
          '-c',
          `\\copy readings (reading, label, note, amount, taken_at) from '${csvFile}' with (format csv)`,
        ],
        { env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) } },
      );
    });
  },
  () =>
    access(PSQL).then(
      () => true as const,
      () => ({ skipped: `psql not found at ${PSQL} (apt-get install postgresql-client-15, or set PSQL)` }),
    ),
);

const createManyVersusBatchInsert = writeBenchmark(
  'repo.create-many.100k.vs-batch-insert',
  'Knex batchInsert in batches of 1000 on the same pool',
  async ({ strata, rows }) => {
    await strata.query('truncate readings');
    return timed(async () => {
      await strata.knex.batchInsert('readings', rows, 1000);
    });
  },
);

// COPY text format: backslash, tab, newline and carriage return escaped; null as \N.
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyText = (value: string | null) =>
  value === null ? '\\N' : value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string);

// The rows as COPY text, in strings of about 64 KiB (a chunk per row would be the slow way).
function* copyTextOf(rows: readonly Reading[]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += `${row.reading}\t${copyText(row.label)}\t${copyText(row.note)}\t${row.amount}\t${row.taken_at.toISOString()}\n`;
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/**
 * The honest bar for createMany: the same rows COPYed by hand through pg-copy-streams on a
 * bare pg.Client, with no ids returned and no checks. createMany adds validation, ids in input
 * order and the pool, and picks the binary format when it can.
 */
const createManyVersusCopyStreams = writeBenchmark(
  'repo.create-many.100k.vs-copy-streams',
  'hand-written COPY … FROM STDIN (text format) through pg-copy-streams on a bare pg.Client',
  async ({ strata, url, rows }) => {
    await strata.query('truncate readings');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await timed(async () => {
        const stream = client.query(
          copyFrom('copy readings (reading, label, note, amount, taken_at) from stdin'),
        );
        await pipeline(Readable.from(copyTextOf(rows)), stream);
        if (stream.rowCount !== rows.length) throw new Error(`COPY stored ${stream.rowCount} rows`);
      });
    } finally {
      await client.end();
    }
  },
);

export const benchmarks: Benchmark[] = [
  getById as Benchmark,
  getByIdVersusObjection as Benchmark,
  findByIdObjectionVersusPlain as Benchmark,
  createManyVersusPsql as Benchmark,
  createManyVersusBatchInsert as Benchmark,
  createManyVersusCopyStreams as Benchmark,
];
