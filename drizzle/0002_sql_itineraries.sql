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
       b.cancelled_at
  from bookings b
  join flights outbound on outbound.id = b.outbound_flight_id
  join flights inbound on inbound.id = b.inbound_flight_id;
