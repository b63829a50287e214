import { captureTelemetry, type TelemetryCapture } from '@strata/telemetry/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import { PoolTimeoutError } from './pool-errors.js';
import { serverUrl } from './test-support/test-database.js';

let capture: TelemetryCapture;
beforeAll(() => {
  capture = captureTelemetry();
});
afterAll(() => capture?.stop());

const pool = { 'db.client.connection.pool.name': 'metrics-pool' };
const idle = { ...pool, 'db.client.connection.state': 'idle' };
const used = { ...pool, 'db.client.connection.state': 'used' };

async function values(name: string) {
  return (await capture.metric(name)).map(({ attributes, value }) => ({ attributes, value }));
}

test('db.client.connection.* metrics report counts, pending requests and timeouts of a pool', async () => {
  const p = createPool(
    { connectionString: serverUrl(), max: 1, min: 1, acquireTimeout: 300, poolName: 'metrics-pool' },
    { environment: {} },
  );
  try {
    await p.ready();
    expect(await values('db.client.connection.max')).toEqual([{ attributes: pool, value: 1 }]);
    expect(await values('db.client.connection.idle.min')).toEqual([{ attributes: pool, value: 1 }]);

    const held = await p.connect();
    const waiting = p.query('SELECT 1').catch((error: unknown) => error);
    expect(await values('db.client.connection.pending_requests')).toEqual([{ attributes: pool, value: 1 }]);
    expect(await values('db.client.connection.count')).toEqual([
      { attributes: idle, value: 0 },
      { attributes: used, value: 1 },
    ]);

    expect(await waiting).toBeInstanceOf(PoolTimeoutError);
    expect(await values('db.client.connection.timeouts')).toEqual([{ attributes: pool, value: 1 }]);
    expect(await values('db.client.connection.pending_requests')).toEqual([{ attributes: pool, value: 0 }]);

    held.release();
    await p.query('SELECT 1');
    expect(await values('db.client.connection.count')).toEqual([
      { attributes: idle, value: 1 },
      { attributes: used, value: 0 },
    ]);
    // Checkouts: connect() and the last query (the timed-out caller never got one).
    const [wait] = await capture.metric('db.client.connection.wait_time');
    const [use] = await capture.metric('db.client.connection.use_time');
    const [create] = await capture.metric('db.client.connection.create_time');
    expect(wait).toMatchObject({ attributes: pool, count: 2 });
    expect(use).toMatchObject({ attributes: pool, count: 2 });
    expect(create).toMatchObject({ attributes: pool, count: 1 });
    expect(create?.value).toBeGreaterThan(0); // seconds, not milliseconds: well under one
    expect(create?.value).toBeLessThan(60);
  } finally {
    await p.close();
  }
});

test('a pool with telemetry: false reports no metrics', async () => {
  const p = createPool(
    { connectionString: serverUrl(), max: 1, min: 0, telemetry: false, poolName: 'quiet-pool' },
    { environment: {} },
  );
  try {
    await p.query('SELECT 1');
    const names = ['db.client.connection.count', 'db.client.connection.wait_time'];
    for (const name of names) {
      const points = await capture.metric(name);
      expect(
        points.filter((point) => point.attributes['db.client.connection.pool.name'] === 'quiet-pool'),
      ).toEqual([]);
    }
  } finally {
    await p.close();
  }
});
