-- Least privilege for the API process.
--
-- The API connects as role `blackjet_api` (created by `npm run db:create-api-role`, or by `npm start` for
-- the embedded database). It may:
--   - execute the booking functions, which are `security definer` (they run as their owner, with a pinned
--     search_path) and are the only way it writes: book_round_trip, book_round_trip_idempotent,
--     book_round_trips, cancel_booking, purge_expired_idempotency_keys; for holds and parties
--     book_seats, hold_seats, confirm_hold, release_hold, expire_holds, reserve_seats_idempotent; and flight
--     management (create_flight, create_flights, change_flight_times, cancel_flight; admin-only in the API
--     when AUTH_MODE=jwt);
--   - read what it serves: flights, airports, seats, bookings, booking_passengers, seat_holds, the
--     itineraries and flight_schedule views, and users' ids (not names);
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
  logout(text),
  create_flight(text, date, text, text, timestamptz, timestamptz, numeric, integer),
  create_flights(jsonb),
  change_flight_times(text, date, timestamptz, timestamptz),
  cancel_flight(text, date),
  generate_demo_schedule(date, integer),
  reserve_seats(integer, text, date, integer[], text, date, integer[], text[], interval),
  book_seats(text, date, integer[], text, date, integer[], integer, text[]),
  hold_seats(text, date, integer[], text, date, integer[], integer, text[], integer),
  lock_hold(uuid, integer),
  confirm_hold(uuid, integer),
  release_hold(uuid, integer),
  expire_holds(integer),
  reserve_seats_idempotent(text, text, text, date, integer[], text, date, integer[], integer, text[], integer)
  from public;

create or replace function grant_api_privileges(p_role name) returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
begin
  execute format('grant usage on schema public to %I', p_role);
  execute format('grant select on flights, seats, bookings, booking_passengers, seat_holds, itineraries, airports,
    flight_schedule to %I', p_role);
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
      logout(text),
      local_time_text(timestamptz, text),
      create_flight(text, date, text, text, timestamptz, timestamptz, numeric, integer),
      create_flights(jsonb),
      change_flight_times(text, date, timestamptz, timestamptz),
      cancel_flight(text, date),
      held_seats(integer),
      book_seats(text, date, integer[], text, date, integer[], integer, text[]),
      hold_seats(text, date, integer[], text, date, integer[], integer, text[], integer),
      confirm_hold(uuid, integer),
      release_hold(uuid, integer),
      expire_holds(integer),
      reserve_seats_idempotent(text, text, text, date, integer[], text, date, integer[], integer, text[], integer)
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
