import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiErrorFromDatabase, httpStatusForSqlState, SQLSTATE_TO_HTTP } from '../../src/http/errors.ts';

/** The shape of a pg DatabaseError, as the server sends it. */
const serverError = (code: string, message: string, detail?: string) =>
  Object.assign(new Error(message), { code, severity: 'ERROR', detail });

describe('SQLSTATE -> HTTP', () => {
  it('maps the booking function codes', () => {
    assert.deepEqual(httpStatusForSqlState('BJ001'), { status: 409, error: 'seat_unavailable' });
    assert.deepEqual(httpStatusForSqlState('BJ002'), { status: 404, error: 'flight_not_found' });
    assert.deepEqual(httpStatusForSqlState('BJ003'), { status: 404, error: 'user_not_found' });
    assert.deepEqual(httpStatusForSqlState('BJ004'), { status: 400, error: 'validation_error' });
  });

  it('maps the cancellation codes', () => {
    assert.deepEqual(httpStatusForSqlState('BJ005'), { status: 404, error: 'booking_not_found' });
    assert.deepEqual(httpStatusForSqlState('BJ006'), { status: 409, error: 'already_cancelled' });
  });

  it('maps retryable and unavailable states to 503', () => {
    for (const code of ['40001', '40P01', '53300', '57014', '57P01', '57P03', '08006', '08001']) {
      assert.equal(httpStatusForSqlState(code)?.status, 503, code);
    }
  });

  it('maps every data exception (class 22) to a 400 that does not echo PostgreSQL\'s text', () => {
    for (const code of ['22P02', '22003', '22008', '22012', '22001', '2200G']) {
      assert.deepEqual(httpStatusForSqlState(code), { status: 400, error: 'validation_error' }, code);
      const error = apiErrorFromDatabase(serverError(code, 'invalid input syntax for type integer: "Infinity"'));
      assert.equal(error?.status, 400);
      assert.doesNotMatch(JSON.stringify(error?.body), /Infinity|integer/);
    }
  });

  it('leaves other states unmapped (they are our bugs: 500)', () => {
    assert.equal(httpStatusForSqlState('42P01'), undefined);
    assert.equal(apiErrorFromDatabase(serverError('42P01', 'relation "x" does not exist')), undefined);
  });

  it('has one line per code', () => {
    assert.ok(Object.keys(SQLSTATE_TO_HTTP).every((code) => /^[0-9A-Z]{5}$/.test(code)));
  });

  it('builds the 409 body from the function detail, through a drizzle-style wrapper', () => {
    const pgError = serverError('BJ001', 'Seat 5 on flight BKJT123 (07/04/2025) is no longer available',
      JSON.stringify({ leg: 'outbound', availableSeats: [1, 2, 6, 7] }));
    const wrapped = new Error('Failed query: select ...', { cause: pgError });
    const apiError = apiErrorFromDatabase(wrapped);
    assert.equal(apiError?.status, 409);
    assert.deepEqual(apiError?.body, {
      error: 'seat_unavailable',
      message: 'Seat 5 on flight BKJT123 (07/04/2025) is no longer available',
      availableSeats: [1, 2, 6, 7],
    });
  });

  it('treats an error with no server answer as 503 with Retry-After', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const apiError = apiErrorFromDatabase(new Error('Failed query', { cause: refused }));
    assert.equal(apiError?.status, 503);
    assert.equal(apiError?.body.error, 'service_unavailable');
    assert.ok(Number(apiError?.headers['Retry-After']) > 0);
  });
});
