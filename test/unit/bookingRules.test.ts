import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRoundTrip } from '../../src/domain/bookingRules.ts';

const trip = {
  outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeat: 5,
  inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeat: 3, userId: 1,
};

describe('round-trip request rules', () => {
  it('accepts the spec example and gives ISO dates', () => {
    assert.deepEqual(checkRoundTrip(trip), { ok: true, outboundIsoDate: '2025-04-07', inboundIsoDate: '2025-04-08' });
  });

  it('accepts a same-day return on another flight', () => {
    assert.equal(checkRoundTrip({ ...trip, inboundDate: '07/04/2025' }).ok, true);
  });

  it('names each impossible date', () => {
    const checked = checkRoundTrip({ ...trip, outboundDate: '30/02/2025', inboundDate: '31/04/2025' });
    assert.equal(checked.ok, false);
    assert.deepEqual(!checked.ok && checked.problems.map((p) => p.field), ['outboundDate', 'inboundDate']);
  });

  it('rejects an inbound before the outbound', () => {
    const checked = checkRoundTrip({ ...trip, inboundDate: '06/04/2025' });
    assert.deepEqual(!checked.ok && checked.problems.map((p) => p.field), ['inboundDate']);
  });

  it('rejects both legs on the same flight and date', () => {
    const checked = checkRoundTrip({ ...trip, inboundFlightNumber: 'BKJT123', inboundDate: '07/04/2025' });
    assert.deepEqual(!checked.ok && checked.problems.map((p) => p.field), ['inboundFlightNumber']);
  });

  it('allows the same flight number on another date', () => {
    assert.equal(checkRoundTrip({ ...trip, inboundFlightNumber: 'BKJT123', inboundDate: '12/07/2025' }).ok, true);
  });
});
