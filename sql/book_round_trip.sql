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
