import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Benchmark } from './benchmark.js';

/** Imports every `src/benchmarks/*.ts` module and returns its `benchmarks`, sorted by id. */
export async function loadBenchmarks(): Promise<Benchmark[]> {
  const directory = path.join(import.meta.dirname, 'benchmarks');
  const files = (await readdir(directory))
    .filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))
    .sort();
  const modules = await Promise.all(
    files.map(
      async (file) =>
        (await import(pathToFileURL(path.join(directory, file)).href)) as { benchmarks?: Benchmark[] },
    ),
  );
  return modules.flatMap((module) => module.benchmarks ?? []).sort((a, b) => a.id.localeCompare(b.id));
}
