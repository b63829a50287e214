-- migrate:up
-- version: the optimistic-locking counter; every update increments it.
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_email_length CHECK (length(email) BETWEEN 3 AND 254),
  CONSTRAINT users_name_length CHECK (length(name) BETWEEN 1 AND 200)
);

-- migrate:down
DROP TABLE users;
