-- source: sql/book_round_trip.sql
-- The booking rule. One call books a round trip: both seats, or neither.
--
--   select * from book_round_trip(outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07',
--     outbound_seat => 5, inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08',
--     inbound_seat => 3, user_id => 1);
--
-- Errors (SQLSTATE, message for people, DETAIL as JSON for programs):
--   BJ001 seat taken        'Seat 5 on flight BKJT123 (07/04/2025) is no longer available'
--                            detail {"leg","flightNumber","date","seat","availableSeats":[...]}
--   BJ002 flight not found  'Flight BKJT123 on 07/04/2025 not found'   detail {"leg","flightNumber","date"}
--   BJ003 user not found    'User 42 not found'                         detail {"userId"}
--   BJ004 invalid request   e.g. 'inbound_date 2025-04-06 is before outbound_date 2025-04-07'
--                            detail {"field"}
--
-- How the race is settled: the two flight rows are locked (FOR NO KEY UPDATE) in id order, so two
-- bookings of one flight run one after the other and an A->B round trip never deadlocks with a B->A
-- one. Under that lock the seat check is exact. The insert still goes through the seats primary key
-- (ON CONFLICT DO NOTHING, then a row count): a writer that bypasses this function, such as a hand-written
-- INSERT, cannot slip a double booking past the unique key. Any error rolls the whole call back.

create or replace function book_round_trip(
  outbound_flight_number text,
  outbound_date date,
  outbound_seat integer,
  inbound_flight_number text,
  inbound_date date,
  inbound_seat integer,
  user_id integer
) returns table (booking_id uuid, status text, created_at timestamptz)
language plpgsql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_outbound flights;
  v_inbound flights;
  v_booking bookings;
  v_inserted integer;
begin
  -- Request rules. The API checks these too, with friendlier field names; psql users get them here.
  if outbound_flight_number is null or outbound_date is null or outbound_seat is null
     or inbound_flight_number is null or inbound_date is null or inbound_seat is null
     or book_round_trip.user_id is null then
    raise exception using errcode = 'BJ004', message = 'every argument of book_round_trip is required',
      detail = json_build_object('field', null)::text;
  end if;
  if outbound_seat not between 1 and 8 then
    raise exception using errcode = 'BJ004', message = format('outbound_seat %s is not between 1 and 8', outbound_seat),
      detail = json_build_object('field', 'outboundSeat')::text;
  end if;
  if inbound_seat not between 1 and 8 then
    raise exception using errcode = 'BJ004', message = format('inbound_seat %s is not between 1 and 8', inbound_seat),
      detail = json_build_object('field', 'inboundSeat')::text;
  end if;
  if inbound_date < outbound_date then
    raise exception using errcode = 'BJ004',
      message = format('inbound_date %s is before outbound_date %s', inbound_date, outbound_date),
      detail = json_build_object('field', 'inboundDate')::text;
  end if;
  if inbound_flight_number = outbound_flight_number and inbound_date = outbound_date then
    raise exception using errcode = 'BJ004', message = 'outbound and inbound are the same flight',
      detail = json_build_object('field', 'inboundFlightNumber')::text;
  end if;

  if not exists (select 1 from users u where u.id = book_round_trip.user_id) then
    raise exception using errcode = 'BJ003', message = format('User %s not found', book_round_trip.user_id),
      detail = json_build_object('userId', book_round_trip.user_id)::text;
  end if;

  -- Lock both flights, lowest id first.
  perform 1 from flights f
   where (f.flight_number = outbound_flight_number and f.flight_date = outbound_date)
      or (f.flight_number = inbound_flight_number and f.flight_date = inbound_date)
   order by f.id
     for no key update;

  select * into v_outbound from flights f
   where f.flight_number = outbound_flight_number and f.flight_date = outbound_date;
  if not found then
    perform raise_flight_not_found('outbound', outbound_flight_number, outbound_date);
  end if;
  select * into v_inbound from flights f
   where f.flight_number = inbound_flight_number and f.flight_date = inbound_date;
  if not found then
    perform raise_flight_not_found('inbound', inbound_flight_number, inbound_date);
  end if;

  -- Outbound first: when both legs conflict, the error names the outbound leg.
  if exists (select 1 from seats s where s.flight_id = v_outbound.id and s.seat_number = outbound_seat) then
    perform raise_seat_unavailable('outbound', v_outbound, outbound_seat);
  end if;
  if exists (select 1 from seats s where s.flight_id = v_inbound.id and s.seat_number = inbound_seat) then
    perform raise_seat_unavailable('inbound', v_inbound, inbound_seat);
  end if;

  insert into bookings (user_id, outbound_flight_id, outbound_seat, inbound_flight_id, inbound_seat)
  values (book_round_trip.user_id, v_outbound.id, outbound_seat, v_inbound.id, inbound_seat)
  returning * into v_booking;

  -- One statement for both seats: the notify trigger runs once for the booking.
  insert into seats (flight_id, seat_number, user_id, booking_id)
  values (v_outbound.id, outbound_seat, book_round_trip.user_id, v_booking.id),
         (v_inbound.id, inbound_seat, book_round_trip.user_id, v_booking.id)
  on conflict (flight_id, seat_number) do nothing;
  get diagnostics v_inserted = row_count;
  if v_inserted < 2 then
    -- Someone wrote a seat without taking the flight lock; the key stopped them from double booking.
    if exists (select 1 from seats s where s.flight_id = v_outbound.id and s.seat_number = outbound_seat
                 and s.booking_id is distinct from v_booking.id) then
      perform raise_seat_unavailable('outbound', v_outbound, outbound_seat);
    end if;
    perform raise_seat_unavailable('inbound', v_inbound, inbound_seat);
  end if;

  return query select v_booking.id, v_booking.status, v_booking.created_at;
end;
$$;

create or replace function raise_flight_not_found(p_leg text, p_flight_number text, p_date date)
returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
begin
  raise exception using errcode = 'BJ002',
    message = format('Flight %s on %s not found', p_flight_number, to_char(p_date, 'DD/MM/YYYY')),
    detail = json_build_object('leg', p_leg, 'flightNumber', p_flight_number,
                               'date', to_char(p_date, 'DD/MM/YYYY'))::text;
end;
$$;

create or replace function raise_seat_unavailable(p_leg text, p_flight flights, p_seat integer)
returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
begin
  raise exception using errcode = 'BJ001',
    message = format('Seat %s on flight %s (%s) is no longer available',
                     p_seat, p_flight.flight_number, to_char(p_flight.flight_date, 'DD/MM/YYYY')),
    detail = json_build_object('leg', p_leg, 'flightNumber', p_flight.flight_number,
                               'date', to_char(p_flight.flight_date, 'DD/MM/YYYY'), 'seat', p_seat,
                               'availableSeats', available_seats(p_flight.id))::text;
end;
$$;

-- Free seats of a flight, ascending. Used by the 409 detail and by seat-map reads.
create or replace function available_seats(p_flight_id integer) returns smallint[]
language sql stable
set search_path = pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(s.n::smallint order by s.n), '{}')
    from flights f
   cross join generate_series(1, f.total_seats) as s(n)
   where f.id = p_flight_id
     and not exists (select 1 from seats where flight_id = f.id and seat_number = s.n);
$$;
--> statement-breakpoint
-- source: sql/book_round_trip_idempotent.sql
-- Idempotent retries of a booking (the API's Idempotency-Key header). The arguments of book_round_trip,
-- plus the client's key and a fingerprint of its request (the API passes the SHA-256 of the canonical
-- JSON body):
--
--   select * from book_round_trip_idempotent(idempotency_key => 'order-7f3c', request_fingerprint => 'abc',
--     outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07', outbound_seat => 5,
--     inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08', inbound_seat => 3, user_id => 1);
--   -- one row: booking_id, status, replayed, refusal_code, refusal_message, refusal_detail
--
-- The first call with a key books, and stores the outcome with the key, in the same transaction:
--   - the booking (booking_id, status 'confirmed'), or
--   - the booking rules' refusal: BJ001 seat taken, BJ002 flight not found, BJ003 user not found. These are
--     returned in the refusal_* columns instead of raised, so that they commit with the key.
-- Any other error (BJ004 invalid request, a timeout, a lost connection) rolls everything back, the key
-- included, so the client may retry with the same key.
-- A later call with the same key and the same fingerprint books nothing and returns the stored outcome
-- (replayed = true); with another fingerprint it raises
--   BJ007 key reused   'Idempotency key order-7f3c was already used for a different request'
--                       detail {"field"}
-- A call made while the first is still running waits for it on the key's primary key, then replays its
-- outcome (or books, if the first rolled back): duplicates never book twice.
-- Keys expire 24 hours after first use (idempotency_keys.expires_at): an expired key counts as unused.

create or replace function book_round_trip_idempotent(
  idempotency_key text,
  request_fingerprint text,
  outbound_flight_number text,
  outbound_date date,
  outbound_seat integer,
  inbound_flight_number text,
  inbound_date date,
  inbound_seat integer,
  user_id integer
) returns table (booking_id uuid, status text, replayed boolean,
                 refusal_code text, refusal_message text, refusal_detail text)
language plpgsql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_key idempotency_keys;
  v_booked record;
  v_code text;
  v_message text;
  v_detail text;
begin
  if book_round_trip_idempotent.idempotency_key is null or book_round_trip_idempotent.request_fingerprint is null then
    raise exception using errcode = 'BJ004', message = 'idempotency_key and request_fingerprint are required',
      detail = json_build_object('field', 'Idempotency-Key')::text;
  end if;

  delete from idempotency_keys k
   where k.key = book_round_trip_idempotent.idempotency_key and k.expires_at <= now();

  -- The primary key decides between duplicates: a concurrent call with this key blocks here until the
  -- first one ends.
  insert into idempotency_keys (key, request_fingerprint)
  values (book_round_trip_idempotent.idempotency_key, book_round_trip_idempotent.request_fingerprint)
  on conflict (key) do nothing;

  if not found then
    select * into v_key from idempotency_keys k where k.key = book_round_trip_idempotent.idempotency_key;
    if not found then
      -- The row we collided with expired and was purged in between: rare, and safe to retry.
      raise exception using errcode = '40001', message = 'idempotency key changed concurrently, retry';
    end if;
    if v_key.request_fingerprint <> book_round_trip_idempotent.request_fingerprint then
      raise exception using errcode = 'BJ007',
        message = format('Idempotency key %s was already used for a different request', v_key.key),
        detail = json_build_object('field', 'Idempotency-Key')::text;
    end if;
    return query select v_key.booking_id, case when v_key.booking_id is not null then 'confirmed' end, true,
                        v_key.refusal_code, v_key.refusal_message, v_key.refusal_detail;
    return;
  end if;

  perform purge_expired_idempotency_keys(100);

  begin
    select b.booking_id, b.status into v_booked
      from book_round_trip(
        outbound_flight_number => book_round_trip_idempotent.outbound_flight_number,
        outbound_date => book_round_trip_idempotent.outbound_date,
        outbound_seat => book_round_trip_idempotent.outbound_seat,
        inbound_flight_number => book_round_trip_idempotent.inbound_flight_number,
        inbound_date => book_round_trip_idempotent.inbound_date,
        inbound_seat => book_round_trip_idempotent.inbound_seat,
        user_id => book_round_trip_idempotent.user_id) b;
  exception when sqlstate 'BJ001' or sqlstate 'BJ002' or sqlstate 'BJ003' then
    -- The booking rules answered (the booking itself was rolled back to the block's start): that answer
    -- is this key's outcome.
    get stacked diagnostics v_code = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
    update idempotency_keys k
       set refusal_code = v_code, refusal_message = v_message, refusal_detail = v_detail
     where k.key = book_round_trip_idempotent.idempotency_key;
    return query select null::uuid, null::text, false, v_code, v_message, v_detail;
    return;
  end;

  update idempotency_keys k set booking_id = v_booked.booking_id
   where k.key = book_round_trip_idempotent.idempotency_key;
  return query select v_booked.booking_id, v_booked.status, false, null::text, null::text, null::text;
end;
$$;

-- Deletes up to p_limit expired keys. Rows another transaction holds are skipped, so it never waits and
-- never deadlocks; what it skips, a later call purges.
create or replace function purge_expired_idempotency_keys(p_limit integer) returns integer
language sql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
  with expired as (
    select k.key from idempotency_keys k
     where k.expires_at <= now()
     order by k.expires_at
     limit p_limit
       for update skip locked
  ), purged as (
    delete from idempotency_keys k using expired e where k.key = e.key returning 1
  )
  select count(*)::int from purged;
$$;
--> statement-breakpoint
-- source: sql/cancel_booking.sql
-- Cancels a round trip: frees both seats and marks the booking cancelled, in one transaction.
--
--   select * from cancel_booking('3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11');
--   -- one row: booking_id, status ('cancelled'), cancelled_at
--
-- Errors (SQLSTATE, message for people, DETAIL as JSON for programs):
--   BJ004 invalid request     'booking id is required'                  detail {"field"}
--   BJ005 booking not found   'Booking <id> not found'                  detail {"bookingId"}
--   BJ006 already cancelled   'Booking <id> is already cancelled'       detail {"bookingId","cancelledAt"}
--
-- The booking row stays, with status 'cancelled' and cancelled_at set: history is never deleted.
-- Both seats go in one DELETE, so the seat trigger (seat_notifications.sql) sends one seats_updated per
-- flight, naming the released seat. The two flights are locked first, lowest id first, exactly as
-- book_round_trip locks them: a cancellation and a booking of the same flights run one after the other
-- and cannot deadlock. The booking row is then locked and its status read again under those locks, so of
-- two concurrent cancellations of one booking, one succeeds and the other gets BJ006.

create or replace function cancel_booking(p_booking_id uuid)
returns table (booking_id uuid, status text, cancelled_at timestamptz)
language plpgsql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_booking bookings;
begin
  if p_booking_id is null then
    raise exception using errcode = 'BJ004', message = 'booking id is required',
      detail = json_build_object('field', 'bookingId')::text;
  end if;

  select * into v_booking from bookings b where b.id = p_booking_id;
  if not found then
    raise exception using errcode = 'BJ005', message = format('Booking %s not found', p_booking_id),
      detail = json_build_object('bookingId', p_booking_id)::text;
  end if;

  perform 1 from flights f
   where f.id in (v_booking.outbound_flight_id, v_booking.inbound_flight_id)
   order by f.id
     for no key update;

  select * into v_booking from bookings b where b.id = p_booking_id for no key update;
  if v_booking.status = 'cancelled' then
    raise exception using errcode = 'BJ006', message = format('Booking %s is already cancelled', p_booking_id),
      detail = json_build_object('bookingId', p_booking_id, 'cancelledAt', v_booking.cancelled_at)::text;
  end if;

  update bookings b set status = 'cancelled', cancelled_at = now()
   where b.id = p_booking_id
  returning * into v_booking;

  -- One statement for both seats: the notify trigger runs once for the cancellation.
  delete from seats s where s.booking_id = p_booking_id;

  return query select v_booking.id, v_booking.status, v_booking.cancelled_at;
end;
$$;
--> statement-breakpoint
-- source: sql/privileges.sql
-- Least privilege for the API process.
--
-- The API connects as role `blackjet_api` (created by `npm run db:create-api-role`, or by `npm start` for
-- the embedded database). It may:
--   - execute the booking functions, which are `security definer` (they run as their owner, with a pinned
--     search_path) and are the only way it writes: book_round_trip, book_round_trip_idempotent,
--     cancel_booking, purge_expired_idempotency_keys;
--   - read what it serves: flights, seats, bookings, the itineraries view, and users' ids (not names);
--   - LISTEN and NOTIFY (allowed to every role).
-- It may not insert, update or delete any table directly, nor read idempotency_keys or users' names.
-- DBAs connect as the owner and keep every right.

-- Functions are executable by every role unless revoked; the writing ones are for the roles granted below.
revoke execute on function
  book_round_trip(text, date, integer, text, date, integer, integer),
  book_round_trip_idempotent(text, text, text, date, integer, text, date, integer, integer),
  cancel_booking(uuid),
  purge_expired_idempotency_keys(integer)
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
      cancel_booking(uuid),
      purge_expired_idempotency_keys(integer),
      available_seats(integer)
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
