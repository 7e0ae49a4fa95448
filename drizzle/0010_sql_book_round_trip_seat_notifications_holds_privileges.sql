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
-- The rule itself is reserve_seats() below, for one to four passengers, booking now or holding
-- (sql/holds.sql); book_round_trip() is its one-passenger form, and book_seats(), hold_seats() and the
-- batch are others. Everything that takes seats goes through it, under the same flight locks.
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
begin
  -- The one-seat form's own argument rules, with its own field names; reserve_seats checks the rest.
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

  return query
    select r.booking_id, 'confirmed'::text, r.created_at
      from reserve_seats(book_round_trip.user_id, outbound_flight_number, outbound_date, array[outbound_seat],
                         inbound_flight_number, inbound_date, array[inbound_seat], null, null) r;
end;
$$;

-- The booking rule, for one to four passengers on both legs of a round trip: books them now
-- (p_hold_for null: a booking, status confirmed) or holds them for p_hold_for (a seat_holds row). All the
-- seats or none. Not for direct use: book_round_trip(), book_seats() and hold_seats() call it.
--
-- A seat is free when it has no row in `seats`, or its row belongs to a hold that has expired: an expired
-- hold never blocks anyone. Such rows among the requested seats are deleted here, under the flight locks,
-- before the new seats go in (the sweeper, expire_holds(), frees the rest of that hold soon after).
-- When seats are not free, BJ001 names them: for a booking of one passenger exactly as the spec words it
-- (the outbound leg when both conflict; 'is held by another customer' for a held seat); for a party or a
-- hold every seat that was not free, also in DETAIL.unavailable.
create or replace function reserve_seats(
  p_user_id integer,
  p_outbound_flight_number text,
  p_outbound_date date,
  p_outbound_seats integer[],
  p_inbound_flight_number text,
  p_inbound_date date,
  p_inbound_seats integer[],
  p_passenger_names text[],
  p_hold_for interval
) returns table (booking_id uuid, hold_id uuid, created_at timestamptz, expires_at timestamptz)
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_count integer := cardinality(p_outbound_seats);
  v_outbound flights;
  v_inbound flights;
  v_now timestamptz;
  v_conflicts jsonb := '[]';
  v_expired_out integer[] := '{}';
  v_expired_in integer[] := '{}';
  v_seat record;
  v_booking_id uuid;
  v_hold_id uuid;
  v_created timestamptz;
  v_expires timestamptz;
  v_inserted integer;
begin
  if p_user_id is null or p_outbound_flight_number is null or p_outbound_date is null or p_outbound_seats is null
     or p_inbound_flight_number is null or p_inbound_date is null or p_inbound_seats is null then
    raise exception using errcode = 'BJ004', message = 'flights, dates, seats and user are required',
      detail = json_build_object('field', null)::text;
  end if;
  if v_count not between 1 and 4 then
    raise exception using errcode = 'BJ004', message = format('a round trip takes 1 to 4 passengers, not %s', v_count),
      detail = json_build_object('field', 'outboundSeats')::text;
  end if;
  if cardinality(p_inbound_seats) <> v_count then
    raise exception using errcode = 'BJ004',
      message = format('inbound_seats has %s seats and outbound_seats %s: one of each per passenger', cardinality(p_inbound_seats), v_count),
      detail = json_build_object('field', 'inboundSeats')::text;
  end if;
  if array_position(p_outbound_seats, null) is not null or (select count(distinct s) from unnest(p_outbound_seats) s) <> v_count then
    raise exception using errcode = 'BJ004', message = 'outbound_seats must list different seats, none null',
      detail = json_build_object('field', 'outboundSeats')::text;
  end if;
  if array_position(p_inbound_seats, null) is not null or (select count(distinct s) from unnest(p_inbound_seats) s) <> v_count then
    raise exception using errcode = 'BJ004', message = 'inbound_seats must list different seats, none null',
      detail = json_build_object('field', 'inboundSeats')::text;
  end if;
  if p_passenger_names is not null and (cardinality(p_passenger_names) <> v_count
     or exists (select 1 from unnest(p_passenger_names) n where n is not null and length(n) not between 1 and 100)) then
    raise exception using errcode = 'BJ004', message = 'passenger_names must have one name (1-100 characters, or null) per passenger',
      detail = json_build_object('field', 'passengerNames')::text;
  end if;
  if p_hold_for is not null and p_hold_for <= interval '0' then
    raise exception using errcode = 'BJ004', message = 'a hold must last a positive time',
      detail = json_build_object('field', 'holdSeconds')::text;
  end if;
  if p_inbound_date < p_outbound_date then
    raise exception using errcode = 'BJ004',
      message = format('inbound_date %s is before outbound_date %s', p_inbound_date, p_outbound_date),
      detail = json_build_object('field', 'inboundDate')::text;
  end if;
  if p_inbound_flight_number = p_outbound_flight_number and p_inbound_date = p_outbound_date then
    raise exception using errcode = 'BJ004', message = 'outbound and inbound are the same flight',
      detail = json_build_object('field', 'inboundFlightNumber')::text;
  end if;

  if not exists (select 1 from users u where u.id = p_user_id) then
    raise exception using errcode = 'BJ003', message = format('User %s not found', p_user_id),
      detail = json_build_object('userId', p_user_id)::text;
  end if;

  -- Lock both flights, lowest id first.
  perform 1 from flights f
   where (f.flight_number = p_outbound_flight_number and f.flight_date = p_outbound_date)
      or (f.flight_number = p_inbound_flight_number and f.flight_date = p_inbound_date)
   order by f.id
     for no key update;

  select * into v_outbound from flights f
   where f.flight_number = p_outbound_flight_number and f.flight_date = p_outbound_date;
  if not found then
    perform raise_flight_not_found('outbound', p_outbound_flight_number, p_outbound_date);
  end if;
  select * into v_inbound from flights f
   where f.flight_number = p_inbound_flight_number and f.flight_date = p_inbound_date;
  if not found then
    perform raise_flight_not_found('inbound', p_inbound_flight_number, p_inbound_date);
  end if;
  if exists (select 1 from unnest(p_outbound_seats) s where s not between 1 and v_outbound.total_seats) then
    raise exception using errcode = 'BJ004',
      message = format('outbound_seats %s: seats are numbered 1 to %s', p_outbound_seats, v_outbound.total_seats),
      detail = json_build_object('field', 'outboundSeats')::text;
  end if;
  if exists (select 1 from unnest(p_inbound_seats) s where s not between 1 and v_inbound.total_seats) then
    raise exception using errcode = 'BJ004',
      message = format('inbound_seats %s: seats are numbered 1 to %s', p_inbound_seats, v_inbound.total_seats),
      detail = json_build_object('field', 'inboundSeats')::text;
  end if;

  -- Under the locks: which requested seats have a row, and is it a live claim or an expired hold?
  -- Outbound first, each leg in the order asked: the first conflict is the one a single booking names.
  v_now := clock_timestamp();
  for v_seat in
    select r.leg, r.flight, r.seat, s.hold_id, h.expires_at
      from (select 1 as ord, 'outbound' as leg, v_outbound.id as flight, o.seat, o.n
              from unnest(p_outbound_seats) with ordinality o(seat, n)
            union all
            select 2, 'inbound', v_inbound.id, i.seat, i.n
              from unnest(p_inbound_seats) with ordinality i(seat, n)) r
      join seats s on s.flight_id = r.flight and s.seat_number = r.seat
      left join seat_holds h on h.id = s.hold_id
     order by r.ord, r.n
  loop
    if v_seat.hold_id is not null and v_seat.expires_at <= v_now then
      if v_seat.leg = 'outbound' then v_expired_out := v_expired_out || v_seat.seat;
      else v_expired_in := v_expired_in || v_seat.seat; end if;
    else
      v_conflicts := v_conflicts || jsonb_build_object('leg', v_seat.leg, 'seat', v_seat.seat, 'held', v_seat.hold_id is not null);
    end if;
  end loop;
  if jsonb_array_length(v_conflicts) > 0 then
    perform raise_seats_unavailable(v_outbound, v_inbound, v_conflicts, v_count > 1 or p_hold_for is not null);
  end if;
  if cardinality(v_expired_out) + cardinality(v_expired_in) > 0 then
    delete from seats s
     where (s.flight_id = v_outbound.id and s.seat_number = any(v_expired_out))
        or (s.flight_id = v_inbound.id and s.seat_number = any(v_expired_in));
  end if;

  if p_hold_for is null then
    insert into bookings (user_id, outbound_flight_id, outbound_seat, inbound_flight_id, inbound_seat)
    values (p_user_id, v_outbound.id, p_outbound_seats[1], v_inbound.id, p_inbound_seats[1])
    returning id, bookings.created_at into v_booking_id, v_created;
    if v_count > 1 or p_passenger_names is not null then
      insert into booking_passengers (booking_id, passenger, outbound_seat, inbound_seat, name)
      select v_booking_id, p.n, p.o, p.i, p.name
        from unnest(p_outbound_seats, p_inbound_seats, coalesce(p_passenger_names, array_fill(null::text, array[v_count])))
             with ordinality p(o, i, name, n);
    end if;
  else
    v_hold_id := gen_random_uuid();
    v_created := v_now;
    v_expires := v_now + p_hold_for;
    insert into seat_holds (id, user_id, outbound_flight_id, inbound_flight_id, outbound_seats, inbound_seats,
                            passenger_names, created_at, expires_at)
    values (v_hold_id, p_user_id, v_outbound.id, v_inbound.id, p_outbound_seats, p_inbound_seats,
            p_passenger_names, v_created, v_expires);
  end if;

  -- One statement for every seat: the notify trigger runs once, one notification per flight.
  insert into seats (flight_id, seat_number, user_id, booking_id, hold_id)
  select v_outbound.id, o.seat, p_user_id, v_booking_id, v_hold_id from unnest(p_outbound_seats) o(seat)
  union all
  select v_inbound.id, i.seat, p_user_id, v_booking_id, v_hold_id from unnest(p_inbound_seats) i(seat)
  on conflict (flight_id, seat_number) do nothing;
  get diagnostics v_inserted = row_count;
  if v_inserted < 2 * v_count then
    -- Someone wrote a seat without taking the flight lock; the key stopped them from double booking.
    select coalesce(jsonb_agg(jsonb_build_object('leg', r.leg, 'seat', r.seat, 'held', s.hold_id is not null) order by r.ord, r.n), '[]')
      into v_conflicts
      from (select 1 as ord, 'outbound' as leg, v_outbound.id as flight, o.seat, o.n
              from unnest(p_outbound_seats) with ordinality o(seat, n)
            union all
            select 2, 'inbound', v_inbound.id, i.seat, i.n
              from unnest(p_inbound_seats) with ordinality i(seat, n)) r
      join seats s on s.flight_id = r.flight and s.seat_number = r.seat
     where s.booking_id is distinct from v_booking_id or s.hold_id is distinct from v_hold_id;
    perform raise_seats_unavailable(v_outbound, v_inbound, v_conflicts, v_count > 1 or p_hold_for is not null);
  end if;

  return query select v_booking_id, v_hold_id, v_created, v_expires;
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

-- Replaced by raise_seats_unavailable(), which names held seats and every seat of a party.
drop function if exists raise_seat_unavailable(text, flights, integer);

-- BJ001 for the seats of a request that are not free. p_conflicts: [{leg, seat, held}], outbound first.
-- One passenger: the first conflict, worded as the spec has it ('is held by another customer' for a
-- held seat). A party: every seat, leg by leg, in the message and in DETAIL.unavailable. DETAIL.leg,
-- seat and availableSeats are always the first conflict's.
create or replace function raise_seats_unavailable(p_outbound flights, p_inbound flights, p_conflicts jsonb, p_party boolean)
returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_first jsonb := p_conflicts -> 0;
  v_flight flights := case when v_first ->> 'leg' = 'outbound' then p_outbound else p_inbound end;
  v_detail jsonb;
  v_message text;
  v_legs text[] := '{}';
  v_leg record;
begin
  v_detail := jsonb_build_object('leg', v_first ->> 'leg', 'flightNumber', v_flight.flight_number,
                                 'date', to_char(v_flight.flight_date, 'DD/MM/YYYY'), 'seat', (v_first ->> 'seat')::int,
                                 'availableSeats', available_seats(v_flight.id));
  if not p_party then
    if (v_first ->> 'held')::boolean then
      v_detail := v_detail || jsonb_build_object('held', true);
      v_message := format('Seat %s on flight %s (%s) is held by another customer',
                          v_first ->> 'seat', v_flight.flight_number, to_char(v_flight.flight_date, 'DD/MM/YYYY'));
    else
      v_message := format('Seat %s on flight %s (%s) is no longer available',
                          v_first ->> 'seat', v_flight.flight_number, to_char(v_flight.flight_date, 'DD/MM/YYYY'));
    end if;
  else
    for v_leg in
      select f.flight_number, f.flight_date,
             string_agg(c.value ->> 'seat' || case when (c.value ->> 'held')::boolean then ' (held)' else '' end, ', ' order by c.ordinality) as seats,
             count(*) as n
        from jsonb_array_elements(p_conflicts) with ordinality c
        join (values ('outbound', p_outbound.flight_number, p_outbound.flight_date),
                     ('inbound', p_inbound.flight_number, p_inbound.flight_date)) f(leg, flight_number, flight_date)
          on f.leg = c.value ->> 'leg'
       group by f.leg, f.flight_number, f.flight_date
       order by min(c.ordinality)
    loop
      v_legs := v_legs || format('%s %s on flight %s (%s)', case when v_leg.n > 1 then 'seats' else 'seat' end,
                                 v_leg.seats, v_leg.flight_number, to_char(v_leg.flight_date, 'DD/MM/YYYY'));
    end loop;
    v_message := 'Not available: ' || array_to_string(v_legs, '; ');
    v_detail := v_detail || jsonb_build_object('unavailable', (
      select jsonb_agg(jsonb_build_object(
               'leg', c ->> 'leg',
               'flightNumber', case when c ->> 'leg' = 'outbound' then p_outbound.flight_number else p_inbound.flight_number end,
               'date', to_char(case when c ->> 'leg' = 'outbound' then p_outbound.flight_date else p_inbound.flight_date end, 'DD/MM/YYYY'),
               'seat', (c ->> 'seat')::int,
               'held', (c ->> 'held')::boolean))
        from jsonb_array_elements(p_conflicts) c));
  end if;
  raise exception using errcode = 'BJ001', message = v_message, detail = v_detail::text;
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

-- Held seats of a flight (seats kept by a hold, live or expired-but-not-yet-swept), ascending. Seat maps
-- and the seats_updated payload show them as `heldSeats`; they are not in available_seats().
create or replace function held_seats(p_flight_id integer) returns smallint[]
language sql stable
set search_path = pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(s.seat_number order by s.seat_number), '{}')
    from seats s
   where s.flight_id = p_flight_id and s.hold_id is not null;
$$;
--> statement-breakpoint
-- source: sql/seat_notifications.sql
-- Change notification: every committed change of a flight's seat map sends one NOTIFY on channel
-- `seats_updated`, whoever made it (book_round_trip, cancel, a hand-written INSERT/DELETE in psql).
--
-- Payload (JSON, well under the 8000-byte NOTIFY limit):
--   {"flightNumber":"BKJT123","date":"07/04/2025","availableSeats":[1,2,6,7],"heldSeats":[],"lastBookedSeat":5,
--    "releasedSeat":null,"version":12,"timestamp":"2025-04-01T10:30:00.123Z"}
--
-- `availableSeats` are the seats one can book now; `heldSeats` those kept by a hold (sql/holds.sql), in
-- neither list when booked. `lastBookedSeat` is the highest seat that became booked (a new booking, or a
-- hold confirmed); a new hold books nothing, so it is null then. `releasedSeat` is the highest seat freed
-- (a cancellation, a hold released or expired, a hand DELETE).
--
-- Why statement-level triggers with transition tables: one booking inserts both seats in one statement,
-- so the trigger runs once per statement and sends one notification per changed flight, not per row.
-- Why the version bump: `update flights ... seats_version + 1` takes the flight's row lock, so two
-- writers of one flight notify in commit order, and the seat map read after it includes every change
-- committed before ours. Listeners use the version to order events and to spot gaps.
-- `timestamp` is the clock when the change was written, at the end of the writing statement; for a
-- booking that is immediately before its commit. NOTIFY itself is delivered only after commit, and a
-- rolled-back transaction delivers nothing.

create or replace function notify_seats_changed(
  p_flight_id integer,
  p_booked_seat smallint,
  p_released_seat smallint
) returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_flight flights;
begin
  update flights set seats_version = seats_version + 1
   where id = p_flight_id
  returning * into v_flight;
  if not found then
    return; -- the flight itself is gone in this statement: nobody can be watching it
  end if;

  perform pg_notify('seats_updated', json_build_object(
    'flightNumber', v_flight.flight_number,
    'date', to_char(v_flight.flight_date, 'DD/MM/YYYY'),
    'availableSeats', available_seats(p_flight_id),
    'heldSeats', held_seats(p_flight_id),
    'lastBookedSeat', p_booked_seat,
    'releasedSeat', p_released_seat,
    'version', v_flight.seats_version,
    'timestamp', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  )::text);
end;
$$;

-- One trigger function for the three events; each event has its own trigger because a trigger with
-- transition tables may only fire on one event. Flights are handled in id order so that two
-- multi-flight writers take the flight locks in the same order.
create or replace function tg_seats__notify() returns trigger
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_change record;
begin
  if tg_op = 'INSERT' then
    for v_change in
      select flight_id, max(seat_number) filter (where hold_id is null) as booked
        from new_seats group by flight_id order by flight_id
    loop
      perform notify_seats_changed(v_change.flight_id, v_change.booked, null);
    end loop;
  elsif tg_op = 'DELETE' then
    for v_change in
      select flight_id, max(seat_number) as released from old_seats group by flight_id order by flight_id
    loop
      perform notify_seats_changed(v_change.flight_id, null, v_change.released);
    end loop;
  else
    -- An UPDATE can move a seat within or between flights: report what appeared and what disappeared.
    -- A held seat that turns into a booked one (a hold confirmed) counts as booked.
    for v_change in
      with appeared as (select flight_id, seat_number from new_seats where hold_id is null
                        except select flight_id, seat_number from old_seats where hold_id is null),
           vanished as (select flight_id, seat_number from old_seats
                        except select flight_id, seat_number from new_seats),
           touched as (select flight_id from new_seats union select flight_id from old_seats)
      select t.flight_id,
             (select max(a.seat_number) from appeared a where a.flight_id = t.flight_id) as booked,
             (select max(v.seat_number) from vanished v where v.flight_id = t.flight_id) as released
        from touched t
       order by t.flight_id
    loop
      perform notify_seats_changed(v_change.flight_id, v_change.booked, v_change.released);
    end loop;
  end if;
  return null;
end;
$$;

drop trigger if exists _500_notify_on_insert on seats;
create trigger _500_notify_on_insert after insert on seats
  referencing new table as new_seats
  for each statement execute function tg_seats__notify();

drop trigger if exists _500_notify_on_delete on seats;
create trigger _500_notify_on_delete after delete on seats
  referencing old table as old_seats
  for each statement execute function tg_seats__notify();

drop trigger if exists _500_notify_on_update on seats;
create trigger _500_notify_on_update after update on seats
  referencing old table as old_seats new table as new_seats
  for each statement execute function tg_seats__notify();
--> statement-breakpoint
-- source: sql/holds.sql
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
--> statement-breakpoint
-- source: sql/privileges.sql
-- Least privilege for the API process.
--
-- The API connects as role `blackjet_api` (created by `npm run db:create-api-role`, or by `npm start` for
-- the embedded database). It may:
--   - execute the booking functions, which are `security definer` (they run as their owner, with a pinned
--     search_path) and are the only way it writes: book_round_trip, book_round_trip_idempotent,
--     book_round_trips, cancel_booking, purge_expired_idempotency_keys, and for holds and parties
--     book_seats, hold_seats, confirm_hold, release_hold, expire_holds, reserve_seats_idempotent;
--   - read what it serves: flights, seats, bookings, booking_passengers, seat_holds, the itineraries
--     view, and users' ids (not names);
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
  execute format('grant select on flights, seats, bookings, booking_passengers, seat_holds, itineraries to %I', p_role);
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
