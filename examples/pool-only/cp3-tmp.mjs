const t0 = performance.now();
const { createPool } = await import('@strata/pool');
const t1 = performance.now();
const pool = createPool({ connectionString: 'postgres://app@127.0.0.1:1/app' }, { environment: {} });
const t2 = performance.now();
await pool.close();
console.log('import', (t1 - t0).toFixed(1), 'createPool', (t2 - t1).toFixed(1));
