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
  if outbound_seat not between 1 and 100 then
    raise exception using errcode = 'BJ004', message = format('outbound_seat %s is not between 1 and 100', outbound_seat),
      detail = json_build_object('field', 'outboundSeat')::text;
  end if;
  if inbound_seat not between 1 and 100 then
    raise exception using errcode = 'BJ004', message = format('inbound_seat %s is not between 1 and 100', inbound_seat),
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

  -- A cancelled flight is sold no more; a seat exists up to the flight's capacity (8 on the standard jet).
  if v_outbound.status = 'cancelled' then
    perform raise_flight_cancelled('outbound', v_outbound);
  end if;
  if v_inbound.status = 'cancelled' then
    perform raise_flight_cancelled('inbound', v_inbound);
  end if;
  if outbound_seat > v_outbound.total_seats then
    raise exception using errcode = 'BJ004',
      message = format('outbound_seat %s is not between 1 and %s', outbound_seat, v_outbound.total_seats),
      detail = json_build_object('field', 'outboundSeat')::text;
  end if;
  if inbound_seat > v_inbound.total_seats then
    raise exception using errcode = 'BJ004',
      message = format('inbound_seat %s is not between 1 and %s', inbound_seat, v_inbound.total_seats),
      detail = json_build_object('field', 'inboundSeat')::text;
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
