-- Batch booking: many round trips in ONE transaction, so that they share one commit, one WAL flush and
-- one turn at PostgreSQL's NOTIFY lock (see README, Performance). The API sends the bookings that queued
-- up while its booking connections were busy; psql users can call it too:
--
--   select * from book_round_trips('[
--     {"outbound_flight_number":"BKJT123","outbound_date":"2025-04-07","outbound_seat":5,
--      "inbound_flight_number":"BKJT234","inbound_date":"2025-04-08","inbound_seat":3,"user_id":1},
--     {"outbound_flight_number":"BKJT123","outbound_date":"2025-04-07","outbound_seat":5,
--      "inbound_flight_number":"BKJT234","inbound_date":"2025-04-08","inbound_seat":4,"user_id":2,
--      "idempotency_key":"order-7f3c","request_fingerprint":"abc"}
--   ]');
--   -- one row per request, in request order: ordinal (1, 2, ...), booking_id, status, replayed,
--   -- refusal_code, refusal_message, refusal_detail. Here the second is refused (BJ001, seat 5 taken).
--
-- Each request is the arguments of book_round_trip() by name, plus optionally idempotency_key and
-- request_fingerprint (then it goes through book_round_trip_idempotent()). Each runs in its own
-- subtransaction through those same functions: the rule has one definition. A refused request rolls back
-- alone, with its NOTIFY, and its refusal comes back as the SQLSTATE, message and JSON detail the single
-- call would have raised (BJ001-BJ004, BJ007, or any other error of that request). The others commit.
-- An idempotent refusal of the booking rules (BJ001-BJ003) is stored with its key, as in the single call.
--
-- Locks: every flight the batch names is locked (FOR NO KEY UPDATE) in id order before the first
-- booking, the order single calls and cancel_booking use, so batches, single calls and cancellations on
-- any instance never deadlock on flights. Idempotency keys are then taken request by request; two batches
-- that share two keys in crossed order are the one case left to the deadlock detector (one request gets
-- 40P01, a retryable 503).
--
-- At most 30 requests (BJ004 beyond): an idempotent request uses up to two subtransactions, and more than
-- 64 in one transaction overflow the per-backend subtransaction cache, which slows every snapshot of the
-- cluster. The API's cap (BOOKING_BATCH_MAX) is lower.

create or replace function book_round_trips(requests jsonb)
returns table (ordinal integer, booking_id uuid, status text, replayed boolean,
               refusal_code text, refusal_message text, refusal_detail text)
language plpgsql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_request record;
  v_code text;
  v_message text;
  v_detail text;
begin
  if requests is null or jsonb_typeof(requests) <> 'array' then
    raise exception using errcode = 'BJ004', message = 'requests must be a JSON array of bookings',
      detail = json_build_object('field', 'requests')::text;
  end if;
  if jsonb_array_length(requests) > 30 then
    raise exception using errcode = 'BJ004',
      message = format('a batch holds at most 30 bookings, not %s', jsonb_array_length(requests)),
      detail = json_build_object('field', 'requests')::text;
  end if;

  -- Every flight of the batch, lowest id first, before any booking. Dates are matched as written in ISO
  -- form (YYYY-MM-DD, what the API sends), so a malformed request locks nothing here and is refused
  -- below by the rule itself; a date written otherwise still books, its flights locked by the rule.
  perform 1 from flights f
    join (select r ->> (leg || '_flight_number') as flight_number, r ->> (leg || '_date') as iso_date
            from jsonb_array_elements(requests) r, (values ('outbound'), ('inbound')) legs(leg)
           where jsonb_typeof(r) = 'object') w
      on f.flight_number = w.flight_number and to_char(f.flight_date, 'YYYY-MM-DD') = w.iso_date
   order by f.id
     for no key update of f;

  for v_request in
    select e.ord::int as ord, e.r from jsonb_array_elements(requests) with ordinality as e(r, ord) order by e.ord
  loop
    begin
      if jsonb_typeof(v_request.r) <> 'object' then
        raise exception using errcode = 'BJ004', message = 'each request must be a JSON object',
          detail = json_build_object('field', null)::text;
      end if;
      if v_request.r ? 'idempotency_key' then
        return query
          select v_request.ord, b.booking_id, b.status, b.replayed, b.refusal_code, b.refusal_message, b.refusal_detail
            from book_round_trip_idempotent(
              idempotency_key => v_request.r ->> 'idempotency_key',
              request_fingerprint => v_request.r ->> 'request_fingerprint',
              outbound_flight_number => v_request.r ->> 'outbound_flight_number',
              outbound_date => (v_request.r ->> 'outbound_date')::date,
              outbound_seat => (v_request.r ->> 'outbound_seat')::int,
              inbound_flight_number => v_request.r ->> 'inbound_flight_number',
              inbound_date => (v_request.r ->> 'inbound_date')::date,
              inbound_seat => (v_request.r ->> 'inbound_seat')::int,
              user_id => (v_request.r ->> 'user_id')::int) b;
      else
        return query
          select v_request.ord, b.booking_id, b.status, false, null::text, null::text, null::text
            from book_round_trip(
              outbound_flight_number => v_request.r ->> 'outbound_flight_number',
              outbound_date => (v_request.r ->> 'outbound_date')::date,
              outbound_seat => (v_request.r ->> 'outbound_seat')::int,
              inbound_flight_number => v_request.r ->> 'inbound_flight_number',
              inbound_date => (v_request.r ->> 'inbound_date')::date,
              inbound_seat => (v_request.r ->> 'inbound_seat')::int,
              user_id => (v_request.r ->> 'user_id')::int) b;
      end if;
    exception when others then
      -- This request alone is rolled back (its rows and its NOTIFY); the batch goes on.
      get stacked diagnostics v_code = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
      return query select v_request.ord, null::uuid, null::text, false, v_code, v_message, nullif(v_detail, '');
    end;
  end loop;
end;
$$;
