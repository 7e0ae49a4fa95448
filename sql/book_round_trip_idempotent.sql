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
