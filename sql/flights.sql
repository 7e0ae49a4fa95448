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
-- relayed to Socket.IO room user:<id>), signed (notification_signing.sql). Delivered at commit, like every
-- NOTIFY. Runs as its caller: the management functions, which run as the owner.
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
    perform pg_notify('user_notifications', signed_notification(json_build_object(
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
    )::text));
  end loop;
end;
$$;
revoke execute on function notify_booking_owners(text, uuid[], jsonb) from public;

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
