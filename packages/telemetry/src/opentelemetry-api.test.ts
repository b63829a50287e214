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
