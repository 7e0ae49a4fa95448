-- source: sql/accounts.sql
-- Accounts: who may log in, and the refresh tokens of their sessions.
--
-- Emails and password hashes live in schema `auth`, which the API role cannot read (no usage on the
-- schema): it can only call the security-definer functions below, which answer "who is this" and nothing
-- more. Passwords are hashed and checked here, with pgcrypto's bcrypt (`crypt(..., gen_salt('bf', 10))`),
-- so psql and the API share one rule. Access tokens (JWTs) are signed in Node; refresh tokens are opaque
-- random strings made here and stored only as their SHA-256.
--
--   select * from register_account(email => 'ada@example.com', password => 'correct horse battery',
--     first_name => 'Ada', last_name => 'Lovelace');          -- the new user's id
--   select * from login('ada@example.com', 'correct horse battery');
--                                       -- one row: user_id, role, refresh_token, refresh_expires_at
--   select * from refresh_session('<refresh token>');  -- a new refresh token, or a refusal (see below)
--   select logout('<refresh token>');                  -- ends that login's session (its token family)
--   update auth.accounts set role = 'admin' where lower(email) = 'ada@example.com';
--   insert into auth.accounts (user_id, email, password_hash) values (7, 'x@example.com', 'a new password');
--                                       -- a plain password here is hashed by the trigger
--
-- Errors (SQLSTATE, message for people, DETAIL as JSON for programs):
--   BJ004 invalid request          e.g. 'email must look like name@domain'      detail {"field"}
--   BJ010 email in use             'Email ada@example.com is already registered' detail {"field":"email"}
--   BJ011 password too short       'password must be at least 10 characters'   detail {"field":"password"}
--   BJ012 wrong email or password  'Wrong email or password' (the same for both)
-- refresh_session() does not raise its refusals: it returns them in refusal_code/refusal_message, so that
-- revoking a token family on reuse commits:
--   BJ013 refresh token invalid    unknown, expired, or of a session that ended (logout, reuse)
--   BJ014 refresh token reused     it was used before: the whole family is revoked (a stolen token)

create extension if not exists pgcrypto; -- crypt, gen_salt, digest, gen_random_bytes (trusted: the owner may)

create schema if not exists auth;
revoke all on schema auth from public;

create table if not exists auth.accounts (
  user_id integer primary key references public.users (id),
  email text not null,
  password_hash text not null,
  role text not null default 'customer',
  created_at timestamptz not null default now(),
  constraint accounts_email_format check (email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 254),
  constraint accounts_role_known check (role in ('customer', 'admin'))
);
-- Unique without regard to case: Ada@Example.com and ada@example.com are one account.
create unique index if not exists accounts_email_key on auth.accounts (lower(email));

-- One row per refresh token ever issued. A login starts a family; each rotation adds a token to it and
-- marks the old one used. A used token presented again revokes the family.
create table if not exists auth.refresh_tokens (
  token_hash bytea primary key, -- sha256 of the token; the token itself is never stored
  family_id uuid not null,
  user_id integer not null references auth.accounts (user_id) on delete cascade,
  issued_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  revoked_at timestamptz
);
create index if not exists refresh_tokens_family_id_idx on auth.refresh_tokens (family_id);
create index if not exists refresh_tokens_user_id_idx on auth.refresh_tokens (user_id);

-- New users' ids. Seeded users carry their own ids, so register_account() skips ids already taken.
create sequence if not exists auth.user_ids;

-- Whoever writes a password (register_account, a DBA in psql) writes it in clear; this hashes it. A value
-- that already is a bcrypt hash is kept, so hashes can be copied between databases.
create or replace function auth.tg_accounts__hash_password() returns trigger
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
begin
  if new.password_hash ~ '^\$2[abxy]\$\d\d\$' then
    return new;
  end if;
  if length(new.password_hash) < 10 then
    raise exception using errcode = 'BJ011', message = 'password must be at least 10 characters',
      detail = json_build_object('field', 'password')::text;
  end if;
  new.password_hash := crypt(new.password_hash, gen_salt('bf', 10));
  return new;
end;
$$;

drop trigger if exists _100_hash_password on auth.accounts;
create trigger _100_hash_password before insert or update of password_hash on auth.accounts
  for each row execute function auth.tg_accounts__hash_password();

create or replace function register_account(email text, password text, first_name text, last_name text)
returns integer
language plpgsql
security definer -- runs as the owner: the API role cannot read or write schema auth itself
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_variable
declare
  v_user_id integer;
begin
  if email is null or email !~ '^[^@\s]+@[^@\s]+$' or length(email) > 254 then
    raise exception using errcode = 'BJ004', message = 'email must look like name@domain',
      detail = json_build_object('field', 'email')::text;
  end if;
  if password is null or length(password) < 10 then
    raise exception using errcode = 'BJ011', message = 'password must be at least 10 characters',
      detail = json_build_object('field', 'password')::text;
  end if;
  if coalesce(btrim(first_name), '') = '' or coalesce(btrim(last_name), '') = '' then
    raise exception using errcode = 'BJ004', message = 'first_name and last_name are required',
      detail = json_build_object('field', case when coalesce(btrim(first_name), '') = '' then 'firstName' else 'lastName' end)::text;
  end if;
  if exists (select 1 from auth.accounts a where lower(a.email) = lower(register_account.email)) then
    raise exception using errcode = 'BJ010', message = format('Email %s is already registered', email),
      detail = json_build_object('field', 'email')::text;
  end if;

  loop
    v_user_id := nextval('auth.user_ids');
    insert into users (id, first_name, last_name) values (v_user_id, btrim(first_name), btrim(last_name))
      on conflict (id) do nothing;
    exit when found;
  end loop;

  begin
    insert into auth.accounts (user_id, email, password_hash) values (v_user_id, email, password);
  exception when unique_violation then
    -- A concurrent registration of the same email won; this whole call (its users row too) rolls back.
    raise exception using errcode = 'BJ010', message = format('Email %s is already registered', email),
      detail = json_build_object('field', 'email')::text;
  end;
  return v_user_id;
end;
$$;

-- An opaque refresh token: 32 random bytes, base64url. Only its sha256 is stored.
create or replace function auth.new_refresh_token(p_user_id integer, p_family_id uuid, p_ttl interval)
returns table (refresh_token text, refresh_expires_at timestamptz)
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_token text := rtrim(translate(encode(gen_random_bytes(32), 'base64'), '+/', '-_'), '=');
  v_expires timestamptz := now() + p_ttl;
begin
  insert into auth.refresh_tokens (token_hash, family_id, user_id, expires_at)
  values (digest(v_token, 'sha256'), p_family_id, p_user_id, v_expires);
  return query select v_token, v_expires;
end;
$$;

create or replace function login(email text, password text, refresh_ttl interval default interval '7 days')
returns table (user_id integer, role text, refresh_token text, refresh_expires_at timestamptz)
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_account auth.accounts;
  v_token record;
begin
  select * into v_account from auth.accounts a where lower(a.email) = lower(login.email);
  -- An unknown email is hashed against a fresh salt: it costs as long as a wrong password, and fails the same way.
  if crypt(coalesce(password, ''), coalesce(v_account.password_hash, gen_salt('bf', 10)))
       is distinct from v_account.password_hash or v_account.user_id is null then
    raise exception using errcode = 'BJ012', message = 'Wrong email or password';
  end if;
  -- Expired tokens of this user go as the user logs in again: the table stays the size of live sessions.
  delete from auth.refresh_tokens t where t.user_id = v_account.user_id and t.expires_at < now();
  select * into v_token from auth.new_refresh_token(v_account.user_id, gen_random_uuid(), refresh_ttl);
  return query select v_account.user_id, v_account.role, v_token.refresh_token, v_token.refresh_expires_at;
end;
$$;

create or replace function refresh_session(token text)
returns table (user_id integer, role text, refresh_token text, refresh_expires_at timestamptz,
               refusal_code text, refusal_message text)
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_row auth.refresh_tokens;
  v_role text;
  v_token record;
begin
  -- The row lock makes two presentations of one token take turns: the second sees it used.
  select * into v_row from auth.refresh_tokens t
   where t.token_hash = digest(coalesce(refresh_session.token, ''), 'sha256')
     for update;
  if not found or v_row.revoked_at is not null or v_row.expires_at <= now() then
    return query select null::integer, null::text, null::text, null::timestamptz,
      'BJ013'::text, 'The refresh token is not valid: log in again'::text;
    return;
  end if;
  if v_row.used_at is not null then
    update auth.refresh_tokens t set revoked_at = now() where t.family_id = v_row.family_id and t.revoked_at is null;
    return query select null::integer, null::text, null::text, null::timestamptz,
      'BJ014'::text, 'The refresh token was already used: the session is revoked, log in again'::text;
    return;
  end if;
  update auth.refresh_tokens t set used_at = now() where t.token_hash = v_row.token_hash;
  select a.role into v_role from auth.accounts a where a.user_id = v_row.user_id;
  -- The new token lives as long as the family's first would have: a rotation never extends a login.
  select * into v_token from auth.new_refresh_token(v_row.user_id, v_row.family_id, v_row.expires_at - now());
  return query select v_row.user_id, v_role, v_token.refresh_token, v_token.refresh_expires_at, null::text, null::text;
end;
$$;

-- Ends the session the token belongs to (its whole family). Unknown tokens are ignored: nothing to end.
create or replace function logout(token text) returns void
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  update auth.refresh_tokens t set revoked_at = now()
   where t.revoked_at is null
     and t.family_id = (select f.family_id from auth.refresh_tokens f
                         where f.token_hash = digest(coalesce(logout.token, ''), 'sha256'));
end;
$$;

-- The embedded demo: an account per seeded user (user<id>@blackjet.example) and one admin
-- (admin@blackjet.example), all with one password. Hashed once: 20 bcrypt hashes would take seconds.
-- Accounts that exist are left alone, unless p_reset: then the demo accounts take the new password.
-- Owner only.
create or replace function ensure_demo_accounts(p_password text, p_reset boolean default false) returns integer
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_hash text := crypt(p_password, gen_salt('bf', 10));
  v_added integer;
  v_admin integer;
begin
  insert into auth.accounts (user_id, email, password_hash)
  select u.id, format('user%s@blackjet.example', u.id), v_hash
    from users u
   where not exists (select 1 from auth.accounts a where a.user_id = u.id)
     and not exists (select 1 from auth.accounts a where lower(a.email) = format('user%s@blackjet.example', u.id))
  on conflict do nothing;
  get diagnostics v_added = row_count;
  if not exists (select 1 from auth.accounts a where lower(a.email) = 'admin@blackjet.example') then
    v_admin := register_account('admin@blackjet.example', p_password, 'Demo', 'Admin');
    update auth.accounts a set role = 'admin', password_hash = v_hash where a.user_id = v_admin;
    v_added := v_added + 1;
  end if;
  if p_reset then
    update auth.accounts a set password_hash = v_hash
     where lower(a.email) ~ '^(user\d+|admin)@blackjet\.example$';
  end if;
  return v_added;
end;
$$;

revoke execute on function ensure_demo_accounts(text, boolean) from public;
--> statement-breakpoint
-- source: sql/privileges.sql
-- Least privilege for the API process.
--
-- The API connects as role `blackjet_api` (created by `npm run db:create-api-role`, or by `npm start` for
-- the embedded database). It may:
--   - execute the booking functions, which are `security definer` (they run as their owner, with a pinned
--     search_path) and are the only way it writes: book_round_trip, book_round_trip_idempotent,
--     book_round_trips, cancel_booking, purge_expired_idempotency_keys;
--   - read what it serves: flights, seats, bookings, the itineraries view, and users' ids (not names);
--   - execute the account functions (sql/accounts.sql), also `security definer`: register_account, login,
--     refresh_session, logout;
--   - LISTEN and NOTIFY (allowed to every role).
-- It may not insert, update or delete any table directly, nor read idempotency_keys or users' names, nor
-- anything in schema auth (emails, password hashes, refresh tokens).
-- DBAs connect as the owner and keep every right.

-- Functions are executable by every role unless revoked; the writing ones are for the roles granted below.
revoke execute on function
  book_round_trip(text, date, integer, text, date, integer, integer),
  book_round_trip_idempotent(text, text, text, date, integer, text, date, integer, integer),
  book_round_trips(jsonb),
  cancel_booking(uuid),
  purge_expired_idempotency_keys(integer),
  register_account(text, text, text, text),
  login(text, text, interval),
  refresh_session(text),
  logout(text)
  from public;

create or replace function grant_api_privileges(p_role name) returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
begin
  execute format('grant usage on schema public to %I', p_role);
  execute format('grant select on flights, seats, bookings, itineraries to %I', p_role);
  execute format('grant select (id) on users to %I', p_role);
  execute format($grant$grant execute on function
      book_round_trip(text, date, integer, text, date, integer, integer),
      book_round_trip_idempotent(text, text, text, date, integer, text, date, integer, integer),
      book_round_trips(jsonb),
      cancel_booking(uuid),
      purge_expired_idempotency_keys(integer),
      available_seats(integer),
      register_account(text, text, text, text),
      login(text, text, interval),
      refresh_session(text),
      logout(text)
    to %I$grant$, p_role);
end;
$$;

revoke execute on function grant_api_privileges(name) from public;

-- Re-applied whenever this file ships, so a role created earlier gets the rights of the current schema.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'blackjet_api') then
    perform grant_api_privileges('blackjet_api');
  end if;
end;
$$;
