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
--   BJ004 invalid request   e.g. 'inbound_date 2025-04-06 is before outbound_date 2025-04-07', or a seat
--                            beyond the flight's capacity ('outbound_seat 9 is not between 1 and 8')
--                            detail {"field"}
--   BJ015 flight cancelled  'Flight BKJT123 on 07/04/2025 is cancelled'  detail {"leg","flightNumber","date"}
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
declare
  v_capacity integer;
begin
  -- The one-seat form's own argument rules, with its own field names; reserve_seats checks the rest.
  if outbound_flight_number is null or outbound_date is null or outbound_seat is null
     or inbound_flight_number is null or inbound_date is null or inbound_seat is null
     or book_round_trip.user_id is null then
    raise exception using errcode = 'BJ004', message = 'every argument of book_round_trip is required',
      detail = json_build_object('field', null)::text;
  end if;
  if outbound_seat not between 1 and 100 then
    raise exception using errcode = 'BJ004', message = format('outbound_seat %s is not between 1 and 100', outbound_seat),
      detail = json_build_object('field', 'outboundSeat')::text;
  end if;
  if inbound_seat not between 1 and 100 then
    raise exception using errcode = 'BJ004', message = format('inbound_seat %s is not between 1 and 100', inbound_seat),
      detail = json_build_object('field', 'inboundSeat')::text;
  end if;

  -- A seat beyond the flight's capacity, named by this form's fields. A flight's capacity never changes once
  -- it exists, so it is read before reserve_seats() locks the flights (an unknown flight is its error).
  select f.total_seats into v_capacity from flights f
   where f.flight_number = outbound_flight_number and f.flight_date = outbound_date;
  if outbound_seat > v_capacity then
    raise exception using errcode = 'BJ004',
      message = format('outbound_seat %s is not between 1 and %s', outbound_seat, v_capacity),
      detail = json_build_object('field', 'outboundSeat')::text;
  end if;
  select f.total_seats into v_capacity from flights f
   where f.flight_number = inbound_flight_number and f.flight_date = inbound_date;
  if inbound_seat > v_capacity then
    raise exception using errcode = 'BJ004',
      message = format('inbound_seat %s is not between 1 and %s', inbound_seat, v_capacity),
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
  v_beyond integer;
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
  -- A seat exists up to the flight's capacity (8 on the standard jet, up to 100).
  select s into v_beyond from unnest(p_outbound_seats) s where s not between 1 and v_outbound.total_seats limit 1;
  if v_beyond is not null then
    raise exception using errcode = 'BJ004',
      message = format('outbound seat %s is not between 1 and %s', v_beyond, v_outbound.total_seats),
      detail = json_build_object('field', 'outboundSeats')::text;
  end if;
  select s into v_beyond from unnest(p_inbound_seats) s where s not between 1 and v_inbound.total_seats limit 1;
  if v_beyond is not null then
    raise exception using errcode = 'BJ004',
      message = format('inbound seat %s is not between 1 and %s', v_beyond, v_inbound.total_seats),
      detail = json_build_object('field', 'inboundSeats')::text;
  end if;

  -- A cancelled flight is sold no more, and no seat of it is held.
  if v_outbound.status = 'cancelled' then
    perform raise_flight_cancelled('outbound', v_outbound);
  end if;
  if v_inbound.status = 'cancelled' then
    perform raise_flight_cancelled('inbound', v_inbound);
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
-- source: sql/flights.sql
-- Flights as an operator manages them: create one or a batch, change its times, cancel it. Callable from
-- psql; the API's POST /api/flights, PATCH /api/flights/times and POST /api/flights/cancellation are thin
-- skins over them.
--
--   select * from create_flight(flight_number => 'BJ500', flight_date => '2026-03-02', origin => 'LAX',
--     destination => 'JFK', departure_time => '2026-03-02 08:00 America/Los_Angeles',
--     arrival_time => '2026-03-02 16:30 America/New_York', fare => 640, capacity => 8);
--   select * from create_flights('[{"flightNumber": "BJ501", "date": "2026-03-02", "origin": "JFK", ...}]');
--   select * from change_flight_times('BJ500', '2026-03-02', '2026-03-02 09:00 America/Los_Angeles',
--     '2026-03-02 17:30 America/New_York');
--   select * from cancel_flight('BJ500', '2026-03-02');
--   select * from flight_schedule where origin = 'LAX' order by departure_at;   -- times in local time too
--
-- Errors (SQLSTATE, message for people, DETAIL as JSON for programs; field names are the API's):
--   BJ002 flight not found   'Flight BJ500 on 02/03/2026 not found'                  detail {"leg","flightNumber","date"}
--   BJ004 invalid request    e.g. 'arrival_time must be after departure_time'         detail {"field"}
--   BJ008 flight exists      'Flight BJ500 already flies on 02/03/2026'               detail {"flightNumber","date"}
--   BJ009 unknown airport    'Airport XYZ not found'                                  detail {"field","code"}
--   BJ015 flight cancelled   'Flight BJ500 on 02/03/2026 is cancelled'                detail {"leg","flightNumber","date"}
--
-- A flight's date is the local date of its departure at the origin: the date a traveller reads on the
-- ticket, and the second half of the flight's identity (flight number, date). A trigger keeps it so for
-- every writer; a change of times that would move the departure to another local day is refused (cancel
-- the flight and create another one instead).

-- An instant as ISO 8601 local time with its offset in a time zone: '2025-04-07T09:00:00-07:00'.
create or replace function local_time_text(p_at timestamptz, p_time_zone text) returns text
language sql stable
set search_path = pg_catalog, public, pg_temp
as $$
  select to_char(p_at at time zone p_time_zone, 'YYYY-MM-DD"T"HH24:MI:SS')
         || case when o.seconds < 0 then '-' else '+' end
         || lpad((abs(o.seconds) / 3600)::text, 2, '0') || ':' || lpad((abs(o.seconds) % 3600 / 60)::text, 2, '0')
    from (select extract(epoch from (p_at at time zone p_time_zone) - (p_at at time zone 'UTC'))::integer as seconds) o;
$$;

-- Every flight with its times in UTC and in the local time of each end, for psql and the API's reads.
create or replace view flight_schedule as
select f.id, f.flight_number, f.flight_date, f.origin, f.destination, f.departure_at, f.arrival_at,
       local_time_text(f.departure_at, o.time_zone) as departure_local,
       local_time_text(f.arrival_at, d.time_zone) as arrival_local,
       o.time_zone as origin_time_zone, d.time_zone as destination_time_zone,
       f.fare, f.status, f.total_seats, f.seats_version
  from flights f
  join airports o on o.code = f.origin
  join airports d on d.code = f.destination;

-- Keeps flight_date the local departure date at the origin, whoever writes (functions, seed loader, psql).
create or replace function tg_flights__local_date() returns trigger
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_time_zone text;
begin
  select a.time_zone into v_time_zone from airports a where a.code = new.origin;
  if not found then
    return new; -- the foreign key names the unknown airport
  end if;
  if (new.departure_at at time zone v_time_zone)::date <> new.flight_date then
    raise exception using errcode = 'BJ004',
      message = format('departure_time %s is not on %s in %s (%s): a flight departs on its date, local time',
                       local_time_text(new.departure_at, v_time_zone), to_char(new.flight_date, 'DD/MM/YYYY'),
                       new.origin, v_time_zone),
      detail = json_build_object('field', 'departureTime')::text;
  end if;
  return new;
end;
$$;

drop trigger if exists _100_local_date on flights;
create trigger _100_local_date before insert or update of flight_date, departure_at, origin on flights
  for each row execute function tg_flights__local_date();

-- A seat exists only up to the flight's capacity, and nobody sits on a cancelled flight: the last line of
-- defence for hand-written INSERTs (the functions check first, with friendlier messages).
create or replace function tg_seats__on_flight() returns trigger
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_flight flights;
begin
  select * into v_flight from flights f where f.id = new.flight_id;
  if not found then
    return new; -- the foreign key says so
  end if;
  if new.seat_number > v_flight.total_seats then
    raise exception using errcode = 'BJ004',
      message = format('seat %s is not between 1 and %s on flight %s (%s)', new.seat_number, v_flight.total_seats,
                       v_flight.flight_number, to_char(v_flight.flight_date, 'DD/MM/YYYY')),
      detail = json_build_object('field', 'seat')::text;
  end if;
  if v_flight.status = 'cancelled' then
    perform raise_flight_cancelled(null, v_flight);
  end if;
  return new;
end;
$$;

drop trigger if exists _100_on_flight on seats;
create trigger _100_on_flight before insert or update of flight_id, seat_number on seats
  for each row execute function tg_seats__on_flight();

create or replace function raise_flight_cancelled(p_leg text, p_flight flights)
returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
begin
  raise exception using errcode = 'BJ015',
    message = format('Flight %s on %s is cancelled', p_flight.flight_number, to_char(p_flight.flight_date, 'DD/MM/YYYY')),
    detail = json_build_object('leg', p_leg, 'flightNumber', p_flight.flight_number,
                               'date', to_char(p_flight.flight_date, 'DD/MM/YYYY'))::text;
end;
$$;

create or replace function raise_invalid(p_field text, p_message text)
returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
begin
  raise exception using errcode = 'BJ004', message = p_message, detail = json_build_object('field', p_field)::text;
end;
$$;

create or replace function create_flight(
  flight_number text,
  flight_date date,
  origin text,
  destination text,
  departure_time timestamptz,
  arrival_time timestamptz,
  fare numeric,
  capacity integer default 8
) returns setof flights
language plpgsql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_flight flights;
  v_code text;
  v_field text;
begin
  if create_flight.flight_number is null then perform raise_invalid('flightNumber', 'flight_number is required'); end if;
  if create_flight.flight_date is null then perform raise_invalid('date', 'flight_date is required'); end if;
  if create_flight.origin is null then perform raise_invalid('origin', 'origin is required'); end if;
  if create_flight.destination is null then perform raise_invalid('destination', 'destination is required'); end if;
  if departure_time is null then perform raise_invalid('departureTime', 'departure_time is required'); end if;
  if arrival_time is null then perform raise_invalid('arrivalTime', 'arrival_time is required'); end if;
  if create_flight.fare is null then perform raise_invalid('fare', 'fare is required'); end if;
  if create_flight.flight_number !~ '^[A-Z0-9]{2,10}$' then
    perform raise_invalid('flightNumber', format('flight_number %s must be 2-10 capital letters or digits', create_flight.flight_number));
  end if;
  foreach v_field in array array['origin', 'destination'] loop
    v_code := case v_field when 'origin' then create_flight.origin else create_flight.destination end;
    if not exists (select 1 from airports a where a.code = v_code) then
      raise exception using errcode = 'BJ009', message = format('Airport %s not found', v_code),
        detail = json_build_object('field', v_field, 'code', v_code)::text;
    end if;
  end loop;
  if create_flight.origin = create_flight.destination then
    perform raise_invalid('destination', 'origin and destination are the same airport');
  end if;
  if arrival_time <= departure_time then
    perform raise_invalid('arrivalTime', 'arrival_time must be after departure_time');
  end if;
  if create_flight.fare < 0 or create_flight.fare >= 100000000 then
    perform raise_invalid('fare', format('fare %s must be between 0 and 99999999.99', create_flight.fare));
  end if;
  if capacity is null or capacity not between 1 and 100 then
    perform raise_invalid('capacity', format('capacity %s is not between 1 and 100', coalesce(capacity::text, 'null')));
  end if;

  insert into flights (flight_number, flight_date, origin, destination, departure_at, arrival_at, fare, total_seats)
  values (create_flight.flight_number, create_flight.flight_date, create_flight.origin, create_flight.destination,
          departure_time, arrival_time, round(create_flight.fare, 2), capacity)
  on conflict (flight_number, flight_date) do nothing
  returning * into v_flight;
  if not found then
    raise exception using errcode = 'BJ008',
      message = format('Flight %s already flies on %s', create_flight.flight_number, to_char(create_flight.flight_date, 'DD/MM/YYYY')),
      detail = json_build_object('flightNumber', create_flight.flight_number,
                                 'date', to_char(create_flight.flight_date, 'DD/MM/YYYY'))::text;
  end if;
  return next v_flight;
end;
$$;

-- A batch, all or nothing: a JSON array of {flightNumber, date (ISO), origin, destination, departureTime,
-- arrivalTime, fare, capacity?}. The first bad element aborts the batch; its error names it
-- (`flights[2]: ...`, field `flights[2].origin`).
create or replace function create_flights(p_flights jsonb) returns setof flights
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_item record;
  v_state text;
  v_message text;
  v_detail text;
  v_field text;
begin
  if p_flights is null or jsonb_typeof(p_flights) <> 'array' or jsonb_array_length(p_flights) = 0 then
    perform raise_invalid('flights', 'flights must be a non-empty JSON array');
  end if;
  for v_item in select value, ordinality - 1 as i from jsonb_array_elements(p_flights) with ordinality loop
    begin
      if jsonb_typeof(v_item.value) <> 'object' then
        perform raise_invalid('', 'each flight must be a JSON object');
      end if;
      return query select * from create_flight(
        v_item.value->>'flightNumber', (v_item.value->>'date')::date, v_item.value->>'origin',
        v_item.value->>'destination', (v_item.value->>'departureTime')::timestamptz,
        (v_item.value->>'arrivalTime')::timestamptz, (v_item.value->>'fare')::numeric,
        coalesce((v_item.value->>'capacity')::integer, 8));
    exception
      when sqlstate 'BJ004' or sqlstate 'BJ008' or sqlstate 'BJ009' then
        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
        v_field := coalesce((v_detail::jsonb)->>'field', '');
        raise exception using errcode = v_state, message = format('flights[%s]: %s', v_item.i, v_message),
          detail = ((v_detail::jsonb) || jsonb_build_object('index', v_item.i,
                     'field', format('flights[%s]%s', v_item.i, case when v_field = '' then '' else '.' || v_field end)))::text;
      when invalid_datetime_format or datetime_field_overflow or invalid_text_representation
           or numeric_value_out_of_range then
        get stacked diagnostics v_message = message_text;
        raise exception using errcode = 'BJ004', message = format('flights[%s]: %s', v_item.i, v_message),
          detail = json_build_object('index', v_item.i, 'field', format('flights[%s]', v_item.i))::text;
    end;
  end loop;
end;
$$;

-- Tells the owner of every confirmed booking on a flight, on their sockets (channel user_notifications,
-- relayed to Socket.IO room user:<id>). Delivered at commit, like every NOTIFY.
create or replace function notify_booking_owners(p_event text, p_booking_ids uuid[], p_extra jsonb)
returns void
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_row record;
begin
  for v_row in
    select i.* from itineraries i where i.booking_id = any(p_booking_ids) order by i.user_id, i.booking_id
  loop
    perform pg_notify('user_notifications', json_build_object(
      'userId', v_row.user_id,
      'event', p_event,
      'payload', jsonb_build_object(
        'bookingId', v_row.booking_id,
        'status', v_row.status,
        'outbound', json_build_object('flightNumber', v_row.outbound_flight_number,
                                      'date', to_char(v_row.outbound_date, 'DD/MM/YYYY'), 'seat', v_row.outbound_seat),
        'inbound', json_build_object('flightNumber', v_row.inbound_flight_number,
                                     'date', to_char(v_row.inbound_date, 'DD/MM/YYYY'), 'seat', v_row.inbound_seat)
      ) || p_extra
    )::text);
  end loop;
end;
$$;

create or replace function change_flight_times(
  flight_number text,
  flight_date date,
  departure_time timestamptz,
  arrival_time timestamptz
) returns setof flights
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_flight flights;
  v_bookings uuid[];
begin
  if change_flight_times.flight_number is null then perform raise_invalid('flightNumber', 'flight_number is required'); end if;
  if change_flight_times.flight_date is null then perform raise_invalid('date', 'flight_date is required'); end if;
  if departure_time is null then perform raise_invalid('departureTime', 'departure_time is required'); end if;
  if arrival_time is null then perform raise_invalid('arrivalTime', 'arrival_time is required'); end if;
  if arrival_time <= departure_time then
    perform raise_invalid('arrivalTime', 'arrival_time must be after departure_time');
  end if;

  select * into v_flight from flights f
   where f.flight_number = change_flight_times.flight_number and f.flight_date = change_flight_times.flight_date
     for no key update;
  if not found then
    perform raise_flight_not_found(null, change_flight_times.flight_number, change_flight_times.flight_date);
  end if;
  if v_flight.status = 'cancelled' then
    perform raise_flight_cancelled(null, v_flight);
  end if;

  update flights f set departure_at = departure_time, arrival_at = arrival_time
   where f.id = v_flight.id
  returning * into v_flight;

  select array_agg(b.id) into v_bookings from bookings b
   where b.status = 'confirmed' and v_flight.id in (b.outbound_flight_id, b.inbound_flight_id);
  perform notify_booking_owners('flight_times_changed', coalesce(v_bookings, '{}'), jsonb_build_object(
    'flight', (select jsonb_build_object('flightNumber', s.flight_number, 'date', to_char(s.flight_date, 'DD/MM/YYYY'),
                                         'departureTime', s.departure_local, 'arrivalTime', s.arrival_local)
                 from flight_schedule s where s.id = v_flight.id)));
  return next v_flight;
end;
$$;

-- Cancels a flight and every confirmed booking that uses it, in one transaction:
--   - the flight is marked cancelled (it stays, as history; booking it is BJ015 from now on);
--   - each booking on it is cancelled whole, so the seat on its other flight is freed too;
--   - every seat on the flight goes (seed-data passengers without a booking included), in one DELETE with
--     the other legs' seats, so the seat trigger sends one seats_updated per affected flight;
--   - each affected booking's owner gets `booking_cancelled` on channel user_notifications.
-- The other flight of every confirmed booking and active hold that uses flight p_flight_id.
create or replace function flight_partners(p_flight_id integer) returns integer[]
language sql stable
set search_path = pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(distinct p.id), '{}') from (
    select case when b.outbound_flight_id = p_flight_id then b.inbound_flight_id else b.outbound_flight_id end as id
      from bookings b
     where b.status = 'confirmed' and p_flight_id in (b.outbound_flight_id, b.inbound_flight_id)
    union all
    select case when h.outbound_flight_id = p_flight_id then h.inbound_flight_id else h.outbound_flight_id end
      from seat_holds h
     where h.status = 'active' and p_flight_id in (h.outbound_flight_id, h.inbound_flight_id)) p;
$$;

-- Locks: the flight and the other flights of its bookings and holds, lowest id first, as a booking locks them, so a
-- cancellation queues with bookings instead of deadlocking. A booking of the flight that commits between
-- the read of the partners and the lock can add a partner, locked after the others (rare; the worst case
-- is a deadlock error, which rolls back and is safe to retry).
create or replace function cancel_flight(flight_number text, flight_date date)
returns table (flight_id integer, status text, cancelled_bookings integer, released_seats integer)
language plpgsql
security definer
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_flight flights;
  v_partners integer[];
  v_bookings uuid[];
  v_holds uuid[];
  v_released integer;
begin
  if cancel_flight.flight_number is null then perform raise_invalid('flightNumber', 'flight_number is required'); end if;
  if cancel_flight.flight_date is null then perform raise_invalid('date', 'flight_date is required'); end if;

  select * into v_flight from flights f
   where f.flight_number = cancel_flight.flight_number and f.flight_date = cancel_flight.flight_date;
  if not found then
    perform raise_flight_not_found(null, cancel_flight.flight_number, cancel_flight.flight_date);
  end if;

  v_partners := flight_partners(v_flight.id);
  perform 1 from flights f where f.id = v_flight.id or f.id = any(v_partners) order by f.id for no key update;
  -- Bookings and holds that committed before our lock, with partners we did not lock yet.
  perform 1 from flights f
   where f.id = any(flight_partners(v_flight.id)) and not (f.id = any(v_partners))
   order by f.id
     for no key update;

  select * into v_flight from flights f where f.id = v_flight.id;
  if v_flight.status = 'cancelled' then
    perform raise_flight_cancelled(null, v_flight);
  end if;
  update flights f set status = 'cancelled' where f.id = v_flight.id;

  with cancelled as (
    update bookings b set status = 'cancelled', cancelled_at = now()
     where b.status = 'confirmed' and v_flight.id in (b.outbound_flight_id, b.inbound_flight_id)
    returning b.id
  )
  select array_agg(c.id) into v_bookings from cancelled c;
  v_bookings := coalesce(v_bookings, '{}');

  -- Active holds on the flight end too (released: confirming one answers BJ023), their seats on the
  -- other flight freed with the rest.
  with ended as (
    update seat_holds h set status = 'released', ended_at = clock_timestamp()
     where h.status = 'active' and v_flight.id in (h.outbound_flight_id, h.inbound_flight_id)
    returning h.id
  )
  select coalesce(array_agg(e.id), '{}') into v_holds from ended e;

  -- One statement for every seat: the notify trigger sends one seats_updated per flight.
  delete from seats s where s.flight_id = v_flight.id or s.booking_id = any(v_bookings) or s.hold_id = any(v_holds);
  get diagnostics v_released = row_count;

  perform notify_booking_owners('booking_cancelled', v_bookings, jsonb_build_object(
    'reason', 'flight_cancelled',
    'cancelledFlight', jsonb_build_object('flightNumber', v_flight.flight_number,
                                          'date', to_char(v_flight.flight_date, 'DD/MM/YYYY'))));

  return query select v_flight.id, 'cancelled'::text, cardinality(v_bookings), v_released;
end;
$$;

-- The demo schedule: routes between the airports (each route flown both ways), every day from p_first_day
-- for p_days days, morning flights on every route and evening ones on some, local departure times, fares
-- by flight length. Deterministic (the same arguments give the same flights) and idempotent: flights that
-- exist already are left alone. Returns how many flights it added.
create or replace function generate_demo_schedule(p_first_day date, p_days integer) returns integer
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_added integer;
begin
  with ports as (
    select a.code, a.time_zone, (row_number() over (order by a.code))::integer - 1 as n from airports a
  ), routes as (
    select o.code as origin, o.time_zone, d.code as destination, o.n as a, d.n as b,
           45 + abs(o.n - d.n) * 20 + (o.n + d.n) % 3 * 10 as minutes
      from ports o join ports d on o.n <> d.n
     where (o.n + d.n) % 3 = 0 or abs(o.n - d.n) in (1, 5)
  ), slots as (
    select r.*, s.slot,
           case s.slot when 0 then time '06:00' + make_interval(hours => (r.a * 5 + r.b * 3) % 5, mins => (r.a + r.b) % 4 * 15)
                       else time '17:00' + make_interval(hours => (r.a + r.b * 2) % 4, mins => (r.a * 3 + r.b) % 4 * 15) end
             as departs
      from routes r cross join (values (0), (1)) as s(slot)
     where s.slot = 0 or (r.a + r.b) % 2 = 0
  ), planned as (
    select 'BJ' || (100 + s.slot * 200 + s.a * 12 + s.b) as flight_number, day::date as flight_date,
           s.origin, s.destination, (day::date + s.departs) at time zone s.time_zone as departure_at, s.minutes,
           round(89 + s.minutes * 1.6 + case when extract(isodow from day) in (5, 7) then 40 else 0 end, 2) as fare,
           case when (s.a + s.b) % 5 = 0 then 12 else 8 end as capacity
      from slots s
     cross join generate_series(p_first_day, p_first_day + (p_days - 1), interval '1 day') as day
  )
  insert into flights (flight_number, flight_date, origin, destination, departure_at, arrival_at, fare, total_seats)
  select p.flight_number, p.flight_date, p.origin, p.destination, p.departure_at,
         p.departure_at + make_interval(mins => p.minutes), p.fare, p.capacity
    from planned p
  on conflict (flight_number, flight_date) do nothing;
  get diagnostics v_added = row_count;
  return v_added;
end;
$$;
--> statement-breakpoint
-- source: sql/itineraries.sql
-- A booking with both legs spelled out. GET /api/bookings/{id} and a user's itinerary list read it,
-- and so can a person in psql:
--
--   select * from itineraries where user_id = 1 order by created_at desc;
--
-- Cancelled bookings stay here, with status 'cancelled' and cancelled_at set: history is never deleted.
-- Dates are ISO `date` values, as everywhere in SQL.

create or replace view itineraries as
select b.id as booking_id,
       b.user_id,
       b.status,
       outbound.flight_number as outbound_flight_number,
       outbound.flight_date as outbound_date,
       b.outbound_seat,
       inbound.flight_number as inbound_flight_number,
       inbound.flight_date as inbound_date,
       b.inbound_seat,
       b.created_at,
       b.cancelled_at,
       -- Route and times of both legs, local time at each airport, ISO 8601 with offset.
       outbound.origin as outbound_origin,
       outbound.destination as outbound_destination,
       outbound.departure_local as outbound_departure_time,
       outbound.arrival_local as outbound_arrival_time,
       inbound.origin as inbound_origin,
       inbound.destination as inbound_destination,
       inbound.departure_local as inbound_departure_time,
       inbound.arrival_local as inbound_arrival_time
  from bookings b
  join flight_schedule outbound on outbound.id = b.outbound_flight_id
  join flight_schedule inbound on inbound.id = b.inbound_flight_id;
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
--   - the booking rules' refusal: BJ001 seat taken, BJ002 flight not found, BJ003 user not found, BJ015
--     flight cancelled. These are
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
  exception when sqlstate 'BJ001' or sqlstate 'BJ002' or sqlstate 'BJ003' or sqlstate 'BJ015' then
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
-- source: sql/privileges.sql
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
