import { afterEach, expect, test } from 'vitest';
import { InstrumentationTracer } from './instrumentation-tracer.js';
import { captureTelemetry, type TelemetryCapture } from './testing.js';

let capture: TelemetryCapture | undefined;
afterEach(async () => {
  await capture?.stop();
  capture = undefined;
});

test('without a registered SDK there is no tracer, so callers skip span work', () => {
  expect(new InstrumentationTracer('@strata/test').current()).toBeUndefined();
});

test('without the API there is no tracer either', () => {
  expect(new InstrumentationTracer('@strata/test', undefined).current()).toBeUndefined();
});

test('an SDK registered after construction is picked up, and dropped again when unregistered', async () => {
  const tracer = new InstrumentationTracer('@strata/test');
  expect(tracer.current()).toBeUndefined();

  capture = captureTelemetry();
  const current = tracer.current();
  expect(current).toBeDefined();
  expect(tracer.current()).toBe(current);
  current?.startSpan('work').end();
  expect(capture.spans().map((span) => [span.name, span.instrumentationScope.name])).toEqual([
    ['work', '@strata/test'],
  ]);

  await capture.stop();
  capture = undefined;
  expect(tracer.current()).toBeUndefined();
});
