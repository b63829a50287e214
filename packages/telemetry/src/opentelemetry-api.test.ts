import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { loadOpenTelemetryApi, openTelemetryApi } from './opentelemetry-api.js';

test('loads @opentelemetry/api when it is installed', () => {
  expect(openTelemetryApi()?.trace.getTracerProvider).toBeTypeOf('function');
});

test('without @opentelemetry/api there is nothing to load, and no error', () => {
  const absent = () => {
    throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
  };
  expect(loadOpenTelemetryApi(absent)).toBeUndefined();
});

test('an API too old for Strata counts as absent', () => {
  expect(loadOpenTelemetryApi(() => ({ trace: {} }))).toBeUndefined();
});

test('a broken install is not hidden', () => {
  const broken = () => {
    throw new SyntaxError('Unexpected token');
  };
  expect(() => loadOpenTelemetryApi(broken)).toThrow(SyntaxError);
});

test('importing the package does not load @opentelemetry/api; the first call does', () => {
  // A fresh process on the built package, so that nothing else has loaded the API: import
  // time is then the same with or without OpenTelemetry installed.
  const script = [
    "import { createRequire } from 'node:module';",
    "const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('@opentelemetry'));",
    "const { openTelemetryApi } = await import('@strata/telemetry');",
    'const afterImport = loaded();',
    'const api = openTelemetryApi();',
    'console.log(JSON.stringify({ afterImport, afterCall: loaded(), found: api !== undefined }));',
  ].join('\n');
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: import.meta.dirname,
    encoding: 'utf8',
  });
  expect(JSON.parse(output)).toEqual({ afterImport: false, afterCall: true, found: true });
});
