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
