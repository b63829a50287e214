import { createGlobalSetup } from '../src/global-setup.js';

export default createGlobalSetup({
  migrations: './test/migrations',
  seed: async (connectionString) => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString });
    await client.connect();
    await client.query("insert into users (email, name) values ('seed@example.com', 'Seed')");
    await client.end();
  },
});
