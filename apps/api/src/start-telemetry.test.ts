import { expect, test } from 'vitest';
import { startTelemetry, telemetryRequested } from './start-telemetry.js';

test('traces are requested by an OTLP endpoint or a traces exporter, unless disabled', () => {
  expect(telemetryRequested({})).toBe(false);
  expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
  expect(telemetryRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(
    true,
  );
  expect(telemetryRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  expect(telemetryRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe(
    false,
  );
  expect(telemetryRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
  expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
});

test('without OTEL_* settings nothing is started', async () => {
  expect(await startTelemetry({})).toBeUndefined();
});
