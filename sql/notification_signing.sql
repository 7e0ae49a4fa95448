-- Seat-change notifications prove where they come from.
--
-- Any role that can connect may NOTIFY any channel: `select pg_notify('seats_updated', '...')` as the API
-- role would otherwise reach every subscriber, and a forged high version would stick in clients that apply
-- only newer versions. So the seats trigger (seat_notifications.sql) signs each payload with HMAC-SHA256
-- under this key, and the relay drops (and counts) every payload without a valid signature.
--
-- The key is random, made once per database, and readable by the schema owner only: the trigger function
-- is `security definer` (it runs as the owner, whoever changed the seats), and the API process reads the key
-- through the owner's connection at start (MIGRATION_DATABASE_URL), never through its own role.
create extension if not exists pgcrypto; -- hmac(), gen_random_bytes(); a trusted extension

create table if not exists notification_signing_key (
  only_row boolean primary key default true check (only_row),
  key bytea not null check (length(key) >= 32)
);
revoke all on notification_signing_key from public;
insert into notification_signing_key (key) values (gen_random_bytes(32)) on conflict do nothing;
