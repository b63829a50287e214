-- migrate:up
create table users (
  id bigint generated always as identity primary key,
  email text not null,
  name text not null,
  balance_cents bigint not null default 0,
  created_at timestamptz not null default now()
);
create unique index users_email_key on users (email);

-- migrate:down
drop table users;
