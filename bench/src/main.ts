// `pnpm bench [-- <id-prefix>...]`: starts one PostgreSQL server, runs the matching benchmarks
// (each subject against its baseline in the same run), prints a ratio table and merges the
// results into bench/results/latest.json.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { quoteIdentifier } from '@strata/errors';
import { startPostgres } from '@strata/local-postgres';
import pg from 'pg';
import type { BenchmarkContext } from './benchmark.js';
import { loadBenchmarks } from './load-benchmarks.js';
import { type BenchmarkResult, runBenchmark } from './run-benchmark.js';

const prefixes = process.argv.slice(2).filter((argument) => argument !== '--');
const resultsFile = path.join(import.meta.dirname, '..', 'results', 'latest.json');

function formatRow(result: BenchmarkResult): string {
  if (result.skipped) return `${result.id.padEnd(44)} skipped: ${result.skipped}`;
  const value = (n: number | null) =>
    n === null ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const better = result.higher_is_better ? 'higher is better' : 'lower is better';
  return [
    result.id.padEnd(44),
    `${value(result.subject_value)} vs ${value(result.baseline_value)} ${result.unit}`.padEnd(34),
    `ratio ${value(result.ratio)}x (${better})`.padEnd(34),
    result.p50_ms === null ? '' : `p50 ${value(result.p50_ms)} ms  p99 ${value(result.p99_ms)} ms`,
    result.subject_errors === undefined && result.baseline_errors === undefined
      ? ''
      : ` errors ${result.subject_errors ?? '-'} vs ${result.baseline_errors ?? '-'}`,
  ].join(' ');
}

async function readPreviousResults(): Promise<BenchmarkResult[]> {
  try {
    return JSON.parse(await readFile(resultsFile, 'utf8')) as BenchmarkResult[];
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const all = await loadBenchmarks();
  const selected = prefixes.length
    ? all.filter((b) => prefixes.some((prefix) => b.id.startsWith(prefix)))
    : all;
  if (selected.length === 0) {
    console.error(
      `No benchmark id starts with ${prefixes.join(', ')}. Known ids:\n  ${all.map((b) => b.id).join('\n  ')}`,
    );
    process.exitCode = 2;
    return;
  }
  const server = await startPostgres({
    urlEnvironmentVariables: ['STRATA_BENCH_DATABASE_URL'],
    settings: { max_connections: 300, shared_buffers: '256MB' },
  });
  const admin = new pg.Client({ connectionString: server.connectionString });
  await admin.connect();
  const context: BenchmarkContext = {
    connectionString: server.connectionString,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Invalid benchmark database name: ${name}`);
      const quoted = quoteIdentifier(name);
      await admin.query(`drop database if exists ${quoted} with (force)`);
      await admin.query(`create database ${quoted}`);
      const url = new URL(server.connectionString);
      url.pathname = `/${name}`;
      return url.toString();
    },
  };

  const results: BenchmarkResult[] = [];
  try {
    for (const benchmark of selected) {
      console.log(`running ${benchmark.id}: ${benchmark.subject} vs ${benchmark.baseline} ...`);
      const result = await runBenchmark(benchmark, context);
      results.push(result);
      console.log(formatRow(result));
    }
  } finally {
    await admin.end();
    await server.stop();
  }

  console.log(`\n${'id'.padEnd(44)} subject vs baseline`);
  for (const result of results) console.log(formatRow(result));

  const merged = new Map((await readPreviousResults()).map((result) => [result.id, result]));
  for (const result of results) merged.set(result.id, result);
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(
    resultsFile,
    `${JSON.stringify(
      [...merged.values()].sort((a, b) => a.id.localeCompare(b.id)),
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${path.relative(process.cwd(), resultsFile)}`);
}

await main();
