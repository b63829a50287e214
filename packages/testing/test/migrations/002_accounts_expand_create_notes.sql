-- migrate:up
create table notes (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id),
  body text not null
);
create index notes_user_id_idx on notes (user_id);

-- migrate:down
drop table notes;
