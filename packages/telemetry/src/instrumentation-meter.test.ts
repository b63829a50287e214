import type { Counter } from '@opentelemetry/api';
import { afterEach, expect, test } from 'vitest';
import { InstrumentationMeter } from './instrumentation-meter.js';
import { captureTelemetry, type TelemetryCapture } from './testing.js';

let capture: TelemetryCapture | undefined;
afterEach(async () => {
  await capture?.stop();
  capture = undefined;
});

function countingMeter() {
  const created: Counter[] = [];
  let disposed = 0;
  const meter = new InstrumentationMeter('@strata/test', {
    create(m) {
      const counter = m.createCounter('strata.test.things');
      created.push(counter);
      return counter;
    },
    dispose: () => {
      disposed += 1;
    },
  });
  return { meter, created, disposed: () => disposed };
}

test('without a MeterProvider no instrument is created', () => {
  const { meter, created } = countingMeter();
  expect(meter.current()).toBeUndefined();
  expect(created).toHaveLength(0);
});

test('instruments are created once per provider and disposed of when it goes away', async () => {
  const { meter, created, disposed } = countingMeter();
  capture = captureTelemetry();
  meter.current()?.add(2);
  meter.current()?.add(3);
  expect(created).toHaveLength(1);
  expect((await capture.metric('strata.test.things')).map((point) => point.value)).toEqual([5]);

  await capture.stop();
  capture = undefined;
  expect(meter.current()).toBeUndefined();
  expect(disposed()).toBe(1);
});

test('close() disposes of the instruments and stops reporting', () => {
  const { meter, disposed } = countingMeter();
  capture = captureTelemetry();
  expect(meter.current()).toBeDefined();
  meter.close();
  expect(meter.current()).toBeUndefined();
  expect(disposed()).toBe(1);
});
