-- Seat-change and user notifications prove where they come from.
--
-- Any role that can connect may NOTIFY any channel: `select pg_notify('seats_updated', '...')` as the API
-- role would otherwise reach every subscriber, and a forged high version would stick in clients that apply
-- only newer versions; a forged `user_notifications` would tell a customer their booking was cancelled. So
-- the seats trigger (seat_notifications.sql) and flight management (flights.sql) sign each payload with
-- HMAC-SHA256 under this key, and the relay drops (and counts) every payload without a valid signature.
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

-- A JSON object's text with its signature as a last member: '{..., "signature" : "<64 hex>"}', where the
-- signature is the HMAC of the text before it (everything up to `, "signature"`, closed with `}`). It runs
-- as its caller, so only the owner's code (security definer functions, the seats trigger) can sign.
create or replace function signed_notification(p_payload text) returns text
language sql stable
set search_path = pg_catalog, public, pg_temp
as $$
  select left(p_payload, -1) || ', "signature" : "'
         || encode(hmac(convert_to(p_payload, 'UTF8'), (select key from notification_signing_key), 'sha256'), 'hex') || '"}';
$$;
revoke execute on function signed_notification(text) from public;
