-- Change notification: every committed change of a flight's seat map sends one NOTIFY on channel
-- `seats_updated`, whoever made it (book_round_trip, cancel, a hand-written INSERT/DELETE in psql).
--
-- Payload (JSON, well under the 8000-byte NOTIFY limit):
--   {"flightNumber" : "BKJT123", "date" : "07/04/2025", "availableSeats" : [1,2,6,7], "heldSeats" : [],
--    "lastBookedSeat" : 5, "releasedSeat" : null, "version" : 12, "timestamp" : "2025-04-01T10:30:00.123Z",
--    "signature" : "<64 hex>"}
-- `signature` is the hex HMAC-SHA256 (notification_signing.sql) of the payload text before it: everything
-- up to `, "signature"`, closed with `}`. The relay checks it and drops the payload otherwise.
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
  v_payload text;
begin
  update flights set seats_version = seats_version + 1
   where id = p_flight_id
  returning * into v_flight;
  if not found then
    return; -- the flight itself is gone in this statement: nobody can be watching it
  end if;

  v_payload := json_build_object(
    'flightNumber', v_flight.flight_number,
    'date', to_char(v_flight.flight_date, 'DD/MM/YYYY'),
    'availableSeats', available_seats(p_flight_id),
    'heldSeats', held_seats(p_flight_id),
    'lastBookedSeat', p_booked_seat,
    'releasedSeat', p_released_seat,
    'version', v_flight.seats_version,
    'timestamp', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  )::text;
  perform pg_notify('seats_updated', signed_notification(v_payload));
end;
$$;

-- Only through the trigger: called directly, it would run as the caller, who cannot read the key.
revoke execute on function notify_seats_changed(integer, smallint, smallint) from public;

-- One trigger function for the three events; each event has its own trigger because a trigger with
-- transition tables may only fire on one event. Flights are handled in id order so that two
-- multi-flight writers take the flight locks in the same order. Security definer: it signs with the
-- owner's key whoever changed the seats (a trigger function cannot be called on its own).
create or replace function tg_seats__notify() returns trigger
language plpgsql
security definer
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
