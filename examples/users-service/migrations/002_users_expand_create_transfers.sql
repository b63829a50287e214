-- migrate:up
create table transfers (
  id bigint generated always as identity primary key,
  from_user_id bigint not null references users (id),
  to_user_id bigint not null references users (id),
  amount_cents bigint not null,
  created_at timestamptz not null default now()
);
create index transfers_from_user_id_idx on transfers (from_user_id);
create index transfers_to_user_id_idx on transfers (to_user_id);

-- migrate:down
drop table transfers;
