-- Party bookings and seat holds. Every function here takes seats through reserve_seats()
-- (sql/book_round_trip.sql), the one booking rule, or frees them under the same flight locks, lowest id
-- first, so holds, bookings, cancellations and the sweeper of one flight queue instead of deadlocking.
-- Seats change only through the `seats` table, so the seats trigger announces every change.
--
--   select * from book_seats(outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07',
--     outbound_seats => array[5, 6], inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08',
--     inbound_seats => array[3, 4], user_id => 1, passenger_names => array['Ada', 'Grace']);
--   select * from hold_seats(outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07',
--     outbound_seats => array[5], inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08',
--     inbound_seats => array[3], user_id => 1, hold_seconds => 300);     -- hold_id, expires_at
--   select * from confirm_hold('<hold id>', user_id => 1);     -- booking_id, status, replayed, the seats
--   select * from release_hold('<hold id>', user_id => 1);               -- hold_id, status
--   select expire_holds();                                               -- what the sweeper runs
--
-- Errors, besides those of book_round_trip (BJ001 seat taken or held, BJ002, BJ003, BJ004):
--   BJ020 hold not found      'Hold <id> not found'                                detail {"holdId"}
--   BJ021 hold expired        'Hold <id> expired at 2025-04-01T10:35:00.000Z'      detail {"holdId","expiresAt"}
--   BJ022 not your hold       'Hold <id> belongs to another user'                  detail {"holdId"}
--   BJ023 hold released       'Hold <id> was released'                             detail {"holdId"}
--   BJ024 hold confirmed      'Hold <id> was confirmed as booking <id>; cancel the booking instead'
--                                                                                   detail {"holdId","bookingId"}
-- user_id on confirm_hold and release_hold names who asks: another user's hold is BJ022. A DBA may pass
-- null to act on any hold.
--
-- A hold's life: active -> confirmed (its seats now belong to the booking: one UPDATE, so subscribers
-- see one change per flight), released, or expired (its seats deleted: one DELETE). A hold whose
-- expires_at has passed is dead whatever its status says: it blocks no booking (reserve_seats frees its
-- requested seats on the spot), it cannot be confirmed (BJ021), and expire_holds() frees the rest.

create or replace function book_seats(
  outbound_flight_number text,
  outbound_date date,
  outbound_seats integer[],
  inbound_flight_number text,
  inbound_date date,
  inbound_seats integer[],
  user_id integer,
  passenger_names text[] default null
) returns table (booking_id uuid, status text, created_at timestamptz)
language sql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
  select r.booking_id, 'confirmed'::text, r.created_at
    from reserve_seats(book_seats.user_id, book_seats.outbound_flight_number, book_seats.outbound_date,
                       book_seats.outbound_seats, book_seats.inbound_flight_number, book_seats.inbound_date,
                       book_seats.inbound_seats, book_seats.passenger_names, null) r;
$$;

create or replace function hold_seats(
  outbound_flight_number text,
  outbound_date date,
  outbound_seats integer[],
  inbound_flight_number text,
  inbound_date date,
  inbound_seats integer[],
  user_id integer,
  passenger_names text[] default null,
  hold_seconds integer default 300
) returns table (hold_id uuid, created_at timestamptz, expires_at timestamptz)
language sql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select r.hold_id, r.created_at, r.expires_at
    from reserve_seats(hold_seats.user_id, hold_seats.outbound_flight_number, hold_seats.outbound_date,
                       hold_seats.outbound_seats, hold_seats.inbound_flight_number, hold_seats.inbound_date,
                       hold_seats.inbound_seats, hold_seats.passenger_names,
                       coalesce(make_interval(secs => hold_seats.hold_seconds), interval '0')) r;
$$;

-- The hold, locked: its flights first (lowest id first, as every booking locks them), then its row.
-- BJ020 when there is no such hold, BJ022 when it is someone else's.
create or replace function lock_hold(p_hold_id uuid, p_user_id integer) returns seat_holds
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_hold seat_holds;
begin
  if p_hold_id is null then
    raise exception using errcode = 'BJ004', message = 'hold id is required',
      detail = json_build_object('field', 'holdId')::text;
  end if;
  select * into v_hold from seat_holds h where h.id = p_hold_id;
  if not found then
    raise exception using errcode = 'BJ020', message = format('Hold %s not found', p_hold_id),
      detail = json_build_object('holdId', p_hold_id)::text;
  end if;
  if p_user_id is not null and v_hold.user_id <> p_user_id then
    raise exception using errcode = 'BJ022', message = format('Hold %s belongs to another user', p_hold_id),
      detail = json_build_object('holdId', p_hold_id)::text;
  end if;
  perform 1 from flights f
   where f.id in (v_hold.outbound_flight_id, v_hold.inbound_flight_id)
   order by f.id
     for no key update;
  select * into v_hold from seat_holds h where h.id = p_hold_id for update;
  return v_hold;
end;
$$;

create or replace function confirm_hold(p_hold_id uuid, user_id integer default null)
returns table (booking_id uuid, status text, created_at timestamptz, replayed boolean,
               outbound_flight_number text, outbound_date date, outbound_seats smallint[],
               inbound_flight_number text, inbound_date date, inbound_seats smallint[], passenger_names text[])
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_hold seat_holds;
  v_booking bookings;
  v_count integer;
  v_moved integer;
begin
  v_hold := lock_hold(p_hold_id, confirm_hold.user_id);
  if v_hold.status = 'confirmed' then
    -- A retry of a confirmation that went through: the same booking again.
    return query select b.id, 'confirmed'::text, b.created_at, true, fo.flight_number, fo.flight_date,
                        v_hold.outbound_seats, fi.flight_number, fi.flight_date, v_hold.inbound_seats, v_hold.passenger_names
                   from bookings b join flights fo on fo.id = b.outbound_flight_id join flights fi on fi.id = b.inbound_flight_id
                  where b.id = v_hold.booking_id;
    return;
  end if;
  if v_hold.status = 'released' then
    raise exception using errcode = 'BJ023', message = format('Hold %s was released', p_hold_id),
      detail = json_build_object('holdId', p_hold_id)::text;
  end if;
  -- Decided under the hold's row lock, so a confirmation and the sweeper never both win.
  if v_hold.status = 'expired' or v_hold.expires_at <= clock_timestamp() then
    raise exception using errcode = 'BJ021',
      message = format('Hold %s expired at %s', p_hold_id,
                       to_char(v_hold.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
      detail = json_build_object('holdId', p_hold_id,
                                 'expiresAt', to_char(v_hold.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text;
  end if;

  v_count := cardinality(v_hold.outbound_seats);
  insert into bookings (user_id, outbound_flight_id, outbound_seat, inbound_flight_id, inbound_seat)
  values (v_hold.user_id, v_hold.outbound_flight_id, v_hold.outbound_seats[1], v_hold.inbound_flight_id, v_hold.inbound_seats[1])
  returning * into v_booking;
  if v_count > 1 or v_hold.passenger_names is not null then
    insert into booking_passengers (booking_id, passenger, outbound_seat, inbound_seat, name)
    select v_booking.id, p.n, p.o, p.i, p.name
      from unnest(v_hold.outbound_seats, v_hold.inbound_seats,
                  coalesce(v_hold.passenger_names, array_fill(null::text, array[v_count]))) with ordinality p(o, i, name, n);
  end if;

  -- The held seats become the booking's in one statement: one seats_updated per flight.
  update seats s set booking_id = v_booking.id, hold_id = null, booked_at = clock_timestamp()
   where s.hold_id = p_hold_id;
  get diagnostics v_moved = row_count;
  if v_moved <> 2 * v_count then
    -- An active, unexpired hold has all its seats (only expired holds lose seats to bookings), unless
    -- someone deleted one by hand: then it cannot be confirmed as it was asked for.
    raise exception using errcode = 'BJ023', message = format('Hold %s lost seats and can no longer be confirmed', p_hold_id),
      detail = json_build_object('holdId', p_hold_id)::text;
  end if;
  update seat_holds h set status = 'confirmed', booking_id = v_booking.id, ended_at = clock_timestamp()
   where h.id = p_hold_id;

  return query select v_booking.id, v_booking.status, v_booking.created_at, false, fo.flight_number, fo.flight_date,
                      v_hold.outbound_seats, fi.flight_number, fi.flight_date, v_hold.inbound_seats, v_hold.passenger_names
                 from flights fo, flights fi
                where fo.id = v_hold.outbound_flight_id and fi.id = v_hold.inbound_flight_id;
end;
$$;

-- Frees a hold's seats at once. Releasing a hold that already ended (released or expired) changes
-- nothing and succeeds; a confirmed one is BJ024: it is a booking now.
create or replace function release_hold(p_hold_id uuid, user_id integer default null)
returns table (hold_id uuid, status text)
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_hold seat_holds;
begin
  v_hold := lock_hold(p_hold_id, release_hold.user_id);
  if v_hold.status = 'confirmed' then
    raise exception using errcode = 'BJ024',
      message = format('Hold %s was confirmed as booking %s; cancel the booking instead', p_hold_id, v_hold.booking_id),
      detail = json_build_object('holdId', p_hold_id, 'bookingId', v_hold.booking_id)::text;
  end if;
  if v_hold.status = 'active' then
    delete from seats s where s.hold_id = p_hold_id; -- one statement: one seats_updated per flight
    update seat_holds h set status = 'released', ended_at = clock_timestamp() where h.id = p_hold_id
    returning * into v_hold;
  end if;
  return query select v_hold.id, v_hold.status;
end;
$$;

-- The sweeper: ends up to p_limit active holds whose time is up and frees their seats, in one
-- transaction, one DELETE (one seats_updated per flight). Every API instance calls it about twice a
-- second; a transaction-level advisory lock lets one sweep at a time and the others return 0 at once,
-- and the hold rows are taken with SKIP LOCKED, so a sweeper never waits on a confirmation in progress
-- (which will see the hold expired itself). Flights are locked first, all of them in id order, as
-- bookings lock them. Returns how many holds it expired.
create or replace function expire_holds(p_limit integer default 100) returns integer
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_candidates uuid[];
  v_expired uuid[];
begin
  if not pg_try_advisory_xact_lock(hashtext('blackjet.expire_holds')) then
    return 0;
  end if;
  select array_agg(h.id) into v_candidates
    from (select h.id from seat_holds h
           where h.status = 'active' and h.expires_at <= clock_timestamp()
           order by h.expires_at
           limit p_limit) h;
  if v_candidates is null then
    return 0;
  end if;

  perform 1 from flights f
   where f.id in (select unnest(array[h.outbound_flight_id, h.inbound_flight_id]) from seat_holds h where h.id = any(v_candidates))
   order by f.id
     for no key update;

  select array_agg(h.id) into v_expired
    from (select h.id from seat_holds h
           where h.id = any(v_candidates) and h.status = 'active' and h.expires_at <= clock_timestamp()
             for update skip locked) h;
  if v_expired is null then
    return 0;
  end if;
  delete from seats s where s.hold_id = any(v_expired);
  update seat_holds h set status = 'expired', ended_at = clock_timestamp() where h.id = any(v_expired);
  return cardinality(v_expired);
end;
$$;

-- Idempotency-Key for party bookings and holds (the API's POST /api/flight/booking with seat lists and
-- POST /api/flight/holds): as book_round_trip_idempotent, the key, the outcome (a booking, a hold, or
-- the refusal BJ001-BJ003) and the seats are written in one transaction; a retry with the same
-- fingerprint replays the outcome, another fingerprint is BJ007. hold_seconds null books; otherwise it
-- holds. A replayed hold returns its id and expires_at as first answered.
create or replace function reserve_seats_idempotent(
  idempotency_key text,
  request_fingerprint text,
  outbound_flight_number text,
  outbound_date date,
  outbound_seats integer[],
  inbound_flight_number text,
  inbound_date date,
  inbound_seats integer[],
  user_id integer,
  passenger_names text[],
  hold_seconds integer
) returns table (booking_id uuid, hold_id uuid, created_at timestamptz, expires_at timestamptz, replayed boolean,
                 refusal_code text, refusal_message text, refusal_detail text)
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_key idempotency_keys;
  v_done record;
  v_code text;
  v_message text;
  v_detail text;
begin
  if reserve_seats_idempotent.idempotency_key is null or reserve_seats_idempotent.request_fingerprint is null then
    raise exception using errcode = 'BJ004', message = 'idempotency_key and request_fingerprint are required',
      detail = json_build_object('field', 'Idempotency-Key')::text;
  end if;

  delete from idempotency_keys k
   where k.key = reserve_seats_idempotent.idempotency_key and k.expires_at <= now();
  insert into idempotency_keys (key, request_fingerprint)
  values (reserve_seats_idempotent.idempotency_key, reserve_seats_idempotent.request_fingerprint)
  on conflict (key) do nothing;

  if not found then
    select * into v_key from idempotency_keys k where k.key = reserve_seats_idempotent.idempotency_key;
    if not found then
      raise exception using errcode = '40001', message = 'idempotency key changed concurrently, retry';
    end if;
    if v_key.request_fingerprint <> reserve_seats_idempotent.request_fingerprint then
      raise exception using errcode = 'BJ007',
        message = format('Idempotency key %s was already used for a different request', v_key.key),
        detail = json_build_object('field', 'Idempotency-Key')::text;
    end if;
    return query
      select v_key.booking_id, v_key.hold_id, coalesce(b.created_at, h.created_at), h.expires_at, true,
             v_key.refusal_code, v_key.refusal_message, v_key.refusal_detail
        from (select 1) one
        left join bookings b on b.id = v_key.booking_id
        left join seat_holds h on h.id = v_key.hold_id;
    return;
  end if;

  perform purge_expired_idempotency_keys(100);

  begin
    select r.booking_id, r.hold_id, r.created_at, r.expires_at into v_done
      from reserve_seats(reserve_seats_idempotent.user_id, reserve_seats_idempotent.outbound_flight_number,
                         reserve_seats_idempotent.outbound_date, reserve_seats_idempotent.outbound_seats,
                         reserve_seats_idempotent.inbound_flight_number, reserve_seats_idempotent.inbound_date,
                         reserve_seats_idempotent.inbound_seats, reserve_seats_idempotent.passenger_names,
                         make_interval(secs => reserve_seats_idempotent.hold_seconds)) r;
  exception when sqlstate 'BJ001' or sqlstate 'BJ002' or sqlstate 'BJ003' then
    get stacked diagnostics v_code = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
    update idempotency_keys k
       set refusal_code = v_code, refusal_message = v_message, refusal_detail = v_detail
     where k.key = reserve_seats_idempotent.idempotency_key;
    return query select null::uuid, null::uuid, null::timestamptz, null::timestamptz, false, v_code, v_message, v_detail;
    return;
  end;

  update idempotency_keys k set booking_id = v_done.booking_id, hold_id = v_done.hold_id
   where k.key = reserve_seats_idempotent.idempotency_key;
  return query select v_done.booking_id, v_done.hold_id, v_done.created_at, v_done.expires_at, false,
                      null::text, null::text, null::text;
end;
$$;
