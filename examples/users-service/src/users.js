import { withTransaction } from '@strata/transactions';

/** Creates a user and returns it. */
export async function createUser(pool, { email, name, balanceCents = 0 }) {
  const { rows } = await pool.query(
    'insert into users (email, name, balance_cents) values ($1, $2, $3) returning id, email, name, balance_cents',
    [email, name, balanceCents],
  );
  return rows[0];
}

/** Moves money between two users in one transaction; refuses to overdraw. */
export function transfer(pool, { fromUserId, toUserId, amountCents }) {
  return withTransaction(pool, async () => {
    const { rows } = await pool.query(
      'update users set balance_cents = balance_cents - $2 where id = $1 and balance_cents >= $2 returning id',
      [fromUserId, amountCents],
    );
    if (rows.length === 0) throw new Error('insufficient funds');
    await pool.query('update users set balance_cents = balance_cents + $2 where id = $1', [
      toUserId,
      amountCents,
    ]);
    await pool.query('insert into transfers (from_user_id, to_user_id, amount_cents) values ($1, $2, $3)', [
      fromUserId,
      toUserId,
      amountCents,
    ]);
  });
}

/** The users with their outgoing transfers, in two queries whatever the number of users. */
export async function usersWithTransfers(pool) {
  const { rows: users } = await pool.query('select id, email from users order by id');
  const { rows: transfers } = await pool.query('select * from transfers where from_user_id = any($1)', [
    users.map((user) => user.id),
  ]);
  return users.map((user) => ({ ...user, transfers: transfers.filter((t) => t.from_user_id === user.id) }));
}
