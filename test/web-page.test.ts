/**
 * The seat-map page at `/` in a real browser (Debian's chromium through playwright-core) against a real
 * API and PostgreSQL: live updates between pages and from psql, a race between two pages, keyboard use,
 * the connection indicator through an API restart and a database restart, Socket.IO from another origin.
 * Every wait is on a DOM condition or a database state; "within 1 s" is a timeout on that wait.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { query, startApi, takenSeats } from './helpers/api.ts';
import { artifactPath, launchBrowser, pageErrors } from './helpers/browser.ts';
import { jwtAuth } from './helpers/auth.ts';
import { startRestartableDatabase } from './helpers/restartable.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const ROUND_TRIP = '#outbound=BKJT123_07/04/2025&inbound=BKJT234_08/04/2025';
const TRIP_FLIGHTS = { outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025' };
const LIVE_WITHIN_MS = 1_000;

let browser: Browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const seatSelector = (leg: 'outbound' | 'inbound', seat: number, state?: string) =>
  `.leg[data-leg="${leg}"] .seat[data-seat="${seat}"]${state ? `[data-state="${state}"]` : ''}`;

/** Opens the page on a round trip and waits until it is live with both seat maps shown. */
async function openTrip(baseUrl: string, hash = ROUND_TRIP): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors = pageErrors(page);
  await page.goto(`${baseUrl}/${hash}`);
  await page.waitForSelector('body[data-ready="true"][data-connection="live"]');
  await page.waitForSelector('.leg[data-leg="outbound"] .seat-map[data-version]');
  await page.waitForSelector('.leg[data-leg="inbound"] .seat-map[data-version]');
  return { page, errors };
}

/** Books in psql, as a DBA would; resolves once the booking committed. */
async function bookInPsql(databaseUrl: string, outbound: [string, string, number], inbound: [string, string, number]) {
  await promisify(execFile)('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-At', '-c', `
    select booking_id from book_round_trip(outbound_flight_number => '${outbound[0]}', outbound_date => '${outbound[1]}',
      outbound_seat => ${outbound[2]}, inbound_flight_number => '${inbound[0]}', inbound_date => '${inbound[1]}',
      inbound_seat => ${inbound[2]}, user_id => 2)`]);
}

/** Picks a seat on each leg, presses `button` and resolves with the answer to the request it sends. */
async function pickAndPress(page: Page, outboundSeat: number, inboundSeat: number, button: string, path: string) {
  await page.click(seatSelector('outbound', outboundSeat));
  await page.click(seatSelector('inbound', inboundSeat));
  const answered = page.waitForResponse((r) => r.url().endsWith(path));
  await page.click(button);
  return answered;
}
const bookOnPage = (page: Page, outboundSeat: number, inboundSeat: number) =>
  pickAndPress(page, outboundSeat, inboundSeat, '#book button[type="submit"]', '/api/flight/booking');
const holdOnPage = (page: Page, outboundSeat: number, inboundSeat: number) =>
  pickAndPress(page, outboundSeat, inboundSeat, '#hold-seats', '/api/flight/holds');

/** A seat's row, if any: held (hold_id set) or booked (booking_id set). */
async function seatRows(databaseUrl: string, flightNumber: string, isoDate: string, seat: number) {
  return query(databaseUrl, `select s.hold_id is not null as held, s.booking_id is not null as booked
    from seats s join flights f on f.id = s.flight_id where f.flight_number = $1 and f.flight_date = $2 and s.seat_number = $3`,
  [flightNumber, isoDate, seat]);
}

async function holdStatus(databaseUrl: string, holdId: string) {
  const [row] = await query(databaseUrl, 'select status, booking_id from seat_holds where id = $1', [holdId]);
  return row;
}

/** seat number -> the user it is booked or held for. */
async function seatOwners(databaseUrl: string, flightNumber: string, isoDate: string): Promise<Record<number, number>> {
  const rows = await query(databaseUrl, `select s.seat_number, s.user_id from seats s join flights f on f.id = s.flight_id
    where f.flight_number = $1 and f.flight_date = $2`, [flightNumber, isoDate]);
  return Object.fromEntries(rows.map((r) => [r.seat_number, r.user_id]));
}

/** Resolves once the API answers 401 to this access token (it expired), re-asking every 200 ms, bounded. */
async function untilRefused(url: string, token: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status !== 401) {
    if (Date.now() > deadline) throw new Error(`the access token was still accepted after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the seat-map page', () => {
  const state = freshApiPerTest();

  it('shows a booking made in another page, and one made in psql, within 1 s; writes a screenshot', async () => {
    const a = await openTrip(state.api.url);
    const b = await openTrip(state.api.url);
    try {
      assert.equal(await b.page.getAttribute(seatSelector('outbound', 5), 'aria-label'), 'Seat 5, free');
      assert.equal(await b.page.getAttribute(seatSelector('outbound', 3), 'aria-label'), 'Seat 3, taken');

      const response = await bookOnPage(a.page, 5, 3);
      const answeredAt = Date.now();
      assert.equal(response.status(), 201);
      await b.page.waitForSelector(seatSelector('outbound', 5, 'taken'), { timeout: LIVE_WITHIN_MS });
      await b.page.waitForSelector(seatSelector('inbound', 3, 'taken'), { timeout: LIVE_WITHIN_MS });
      assert.ok(Date.now() - answeredAt < LIVE_WITHIN_MS, `seen ${Date.now() - answeredAt} ms after the 201`);
      const { bookingId } = await response.json();
      const result = await a.page.waitForSelector('#result[data-outcome="confirmed"]');
      assert.match(await result.textContent() ?? '', new RegExp(`201 Created Booked: ${bookingId}`));
      assert.equal(await b.page.getAttribute(seatSelector('outbound', 5), 'aria-label'), 'Seat 5, taken');

      await bookInPsql(state.databaseUrl, ['BKJT123', '2025-04-07', 6], ['BKJT234', '2025-04-08', 4]);
      const committedAt = Date.now();
      for (const { page } of [a, b]) {
        await page.waitForSelector(seatSelector('outbound', 6, 'taken'), { timeout: LIVE_WITHIN_MS });
        await page.waitForSelector(seatSelector('inbound', 4, 'taken'), { timeout: LIVE_WITHIN_MS });
      }
      assert.ok(Date.now() - committedAt < LIVE_WITHIN_MS, `seen ${Date.now() - committedAt} ms after the commit`);
      assert.deepEqual(await takenSeats(state.databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 5, 6, 8]);

      // The picture in the README: free, held, taken and chosen seats on both legs (a hold by another
      // customer through the API).
      const held = await fetch(`${state.api.url}/api/flight/holds`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...TRIP_FLIGHTS, outboundSeats: [1], inboundSeats: [8], userId: 3 }),
      });
      assert.equal(held.status, 201);
      await b.page.waitForSelector(seatSelector('outbound', 1, 'held'), { timeout: LIVE_WITHIN_MS });
      await b.page.waitForSelector(seatSelector('inbound', 8, 'held'), { timeout: LIVE_WITHIN_MS });
      await b.page.click(seatSelector('outbound', 2));
      await b.page.click(seatSelector('inbound', 7));
      const screenshot = artifactPath('seat-map.png');
      await b.page.locator('section[aria-labelledby="trip-title"]').screenshot({ path: screenshot, animations: 'disabled' });
      assert.ok(statSync(screenshot).size > 5_000);
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      await a.page.close();
      await b.page.close();
    }
  });

  it('two pages racing for the last seat: one shows the 201, the other the 409 and its reason', async () => {
    const trip = '#outbound=BKJT999_01/05/2025&inbound=BKJT432_02/05/2025';
    const a = await openTrip(state.api.url, trip);
    const b = await openTrip(state.api.url, trip);
    // Hold the flight's lock so that both requests are in the database, queued on it, before either can win.
    const blocker = await import('pg').then(({ default: pg }) => new pg.Client({ connectionString: state.databaseUrl }));
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query("select id from flights where flight_number = 'BKJT999' and flight_date = '2025-05-01' for update");
      const answers = Promise.all([bookOnPage(a.page, 8, 2), bookOnPage(b.page, 8, 3)]);
      await untilLockWaiters(state.databaseUrl, 2);
      await blocker.query('commit');
      const statuses = (await answers).map((r) => r.status()).sort();
      assert.deepEqual(statuses, [201, 409]);

      const outcomes = await Promise.all([a, b].map(async ({ page }) => {
        const result = await page.waitForSelector('#result[data-outcome="confirmed"], #result[data-outcome="refused"]');
        return { outcome: await result.getAttribute('data-outcome'), text: await result.textContent() ?? '' };
      }));
      const refused = outcomes.find((o) => o.outcome === 'refused')!;
      assert.equal(outcomes.filter((o) => o.outcome === 'confirmed').length, 1);
      assert.match(refused.text, /409 seat_unavailable/);
      assert.match(refused.text, /Seat 8 on flight BKJT999 \(01\/05\/2025\) is no longer available/);
      assert.match(refused.text, /Free now: none\./);
      for (const { page } of [a, b]) await page.waitForSelector(seatSelector('outbound', 8, 'taken'));

      assert.deepEqual(await takenSeats(state.databaseUrl, 'BKJT999', '2025-05-01'), [1, 2, 3, 4, 5, 6, 7, 8]);
      const inbound = await takenSeats(state.databaseUrl, 'BKJT432', '2025-05-02');
      assert.equal(inbound.filter((seat) => seat === 2 || seat === 3).length, 1, 'only the winner\'s return seat');
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      await blocker.end();
      await a.page.close();
      await b.page.close();
    }
  });

  it('works from the keyboard: arrow keys move between seats, Enter and Space pick a free one', async () => {
    const { page, errors } = await openTrip(state.api.url);
    try {
      const map = '.leg[data-leg="outbound"] .seat-map';
      assert.equal(await page.locator(`${map} .seat[tabindex="0"]`).count(), 1, 'one tab stop per seat map');
      await page.focus(seatSelector('outbound', 1));
      await page.keyboard.press('ArrowDown'); // seat 3: taken
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Seat 3, taken');
      await page.keyboard.press('Enter');
      assert.equal(await page.getAttribute(seatSelector('outbound', 3), 'aria-pressed'), 'false');
      await page.keyboard.press('ArrowDown'); // seat 5: free
      await page.keyboard.press(' ');
      assert.equal(await page.getAttribute(seatSelector('outbound', 5), 'aria-pressed'), 'true');
      assert.equal(await page.getAttribute(seatSelector('outbound', 5), 'aria-label'), 'Seat 5, free, your choice');
      await page.keyboard.press('Tab'); // on to the return flight's map
      assert.equal(await page.evaluate(() => document.activeElement?.closest('.leg')?.getAttribute('data-leg')), 'inbound');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      assert.equal(await page.getAttribute(seatSelector('inbound', 2), 'aria-pressed'), 'true');
      assert.equal(await page.isEnabled('#book button[type="submit"]'), true);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('finds flights through the search form and opens them', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${state.api.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.click('#more-filters summary'); // the original day filters sit under "More filters"
      await page.fill('input[name="flightNumber"]', 'BKJT234');
      await page.click('#search button[type="submit"]');
      await page.waitForFunction(() => document.querySelector('#search-status')?.textContent === '7 flights found.');
      await page.click('button[aria-label="Return: BKJT234 on 09/04/2025"]');
      await page.waitForSelector('.leg[data-leg="inbound"] .seat-map[data-version]');
      assert.equal(await page.textContent('.leg[data-leg="inbound"] .leg-flight'), 'BKJT234 · 09/04/2025 · SFO → LAX');
      assert.equal(await page.getAttribute(seatSelector('inbound', 2), 'data-state'), 'taken');
      await page.fill('input[name="date"]', '31/02/2025');
      await page.click('#search button[type="submit"]');
      await page.waitForFunction(() => document.querySelector('#search-status')?.textContent
        === 'The request is invalid: date: 31/02/2025 is not a real DD/MM/YYYY date');
    } finally {
      await page.close();
    }
  });

  it('holds seats with a countdown, confirms them (201) or releases them; another customer\'s hold shows as held', async () => {
    const a = await openTrip(state.api.url);
    const b = await openTrip(state.api.url);
    try {
      // Another customer holds outbound seat 1 (and return seat 7) through the API: held, not pickable.
      const other = await fetch(`${state.api.url}/api/flight/holds`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...TRIP_FLIGHTS, outboundSeats: [1], inboundSeats: [7], userId: 2 }),
      });
      assert.equal(other.status, 201);
      await a.page.waitForSelector(seatSelector('outbound', 1, 'held'), { timeout: LIVE_WITHIN_MS });
      assert.equal(await a.page.getAttribute(seatSelector('outbound', 1), 'aria-label'), 'Seat 1, held');
      assert.equal(await a.page.getAttribute(seatSelector('outbound', 1), 'aria-disabled'), 'true');
      await a.page.click(seatSelector('outbound', 1), { force: true }); // aria-disabled: focusable, but picks nothing
      assert.equal(await a.page.getAttribute(seatSelector('outbound', 1), 'aria-pressed'), 'false');

      // Hold 5 and 3: the countdown starts at the hold's length, the live region says it once.
      const held = await holdOnPage(a.page, 5, 3);
      assert.equal(held.status(), 201);
      const { holdId } = await held.json();
      await a.page.waitForSelector('#hold:not([hidden])[data-state="active"]');
      assert.match(await a.page.textContent('#hold-countdown') ?? '', /^(5:00|4:5\d)$/);
      assert.match(await a.page.textContent('#hold-status') ?? '', /^Seats held until .+: (5:00|4:5\d) to confirm\.$/);
      assert.match(await a.page.textContent('#hold-seats-text') ?? '', /outbound BKJT123 07\/04\/2025 seat 5; return BKJT234 08\/04\/2025 seat 3/);
      assert.equal(await a.page.getAttribute(seatSelector('outbound', 5), 'aria-label'), 'Seat 5, held by you');
      await b.page.waitForSelector(seatSelector('outbound', 5, 'held'), { timeout: LIVE_WITHIN_MS });
      await b.page.waitForSelector(seatSelector('inbound', 3, 'held'), { timeout: LIVE_WITHIN_MS });
      assert.equal(await b.page.getAttribute(seatSelector('outbound', 5), 'aria-label'), 'Seat 5, held');
      assert.deepEqual(await seatRows(state.databaseUrl, 'BKJT123', '2025-04-07', 5), [{ held: true, booked: false }]);
      assert.equal(await a.page.isDisabled('#hold-seats'), true, 'one hold at a time');

      // The clock ticks every second; the live region does not.
      const announced = await a.page.textContent('#hold-status');
      for (let tick = 0; tick < 2; tick++) {
        const shown = await a.page.textContent('#hold-countdown');
        await a.page.waitForFunction((before) => document.querySelector('#hold-countdown')?.textContent !== before, shown);
      }
      assert.equal(await a.page.textContent('#hold-status'), announced);

      const confirmed = a.page.waitForResponse((r) => r.url().endsWith(`/api/flight/holds/${holdId}/confirm`));
      await a.page.click('#hold-confirm');
      assert.equal((await confirmed).status(), 201);
      const { bookingId } = await (await confirmed).json();
      const result = await a.page.waitForSelector('#result[data-outcome="confirmed"]');
      assert.match(await result.textContent() ?? '', new RegExp(`201 Created Booked: ${bookingId}`));
      assert.equal(await a.page.isHidden('#hold'), true);
      await b.page.waitForSelector(seatSelector('outbound', 5, 'taken'), { timeout: LIVE_WITHIN_MS });
      await b.page.waitForSelector(seatSelector('inbound', 3, 'taken'), { timeout: LIVE_WITHIN_MS });
      assert.deepEqual(await seatRows(state.databaseUrl, 'BKJT123', '2025-04-07', 5), [{ held: false, booked: true }]);
      assert.deepEqual(await holdStatus(state.databaseUrl, holdId), { status: 'confirmed', booking_id: bookingId });

      // Hold 6 and 4, then release them: free again everywhere, nothing left in the database.
      const second = await holdOnPage(a.page, 6, 4);
      assert.equal(second.status(), 201);
      const { holdId: releasedId } = await second.json();
      await b.page.waitForSelector(seatSelector('outbound', 6, 'held'), { timeout: LIVE_WITHIN_MS });
      const released = a.page.waitForResponse((r) => r.url().includes(`/api/flight/holds/${releasedId}`));
      await a.page.click('#hold-release');
      assert.equal((await released).status(), 204);
      assert.match(await (await a.page.waitForSelector('#result[data-outcome="released"]')).textContent() ?? '', /Hold released/);
      await b.page.waitForSelector(seatSelector('outbound', 6, 'free'), { timeout: LIVE_WITHIN_MS });
      await b.page.waitForSelector(seatSelector('inbound', 4, 'free'), { timeout: LIVE_WITHIN_MS });
      await a.page.waitForSelector(seatSelector('outbound', 6, 'free'), { timeout: LIVE_WITHIN_MS });
      assert.deepEqual(await seatRows(state.databaseUrl, 'BKJT123', '2025-04-07', 6), []);
      assert.deepEqual(await holdStatus(state.databaseUrl, releasedId), { status: 'released', booking_id: null });
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      await a.page.close();
      await b.page.close();
    }
  });

  it('shows a hold expiring: the countdown ends, the seats come back free, confirming then shows the 410', async () => {
    const api = await startApi(state.databaseUrl, { holdTtlSeconds: 2 });
    const { page, errors } = await openTrip(api.url);
    try {
      const held = await holdOnPage(page, 5, 3);
      assert.equal(held.status(), 201);
      const { holdId } = await held.json();
      await page.waitForSelector(seatSelector('outbound', 5, 'held'));
      assert.equal(await page.getAttribute(seatSelector('outbound', 5), 'aria-label'), 'Seat 5, held by you');
      await page.waitForSelector('#hold[data-state="expired"]', { timeout: 5_000 });
      assert.equal(await page.textContent('#hold-countdown'), '0:00');
      assert.equal(await page.textContent('#hold-status'), 'The hold has expired: its seats are free again for anyone.');
      // The sweeper ends it within about a second; the page learns it through seats_updated.
      await page.waitForSelector(seatSelector('outbound', 5, 'free'), { timeout: 3_000 });
      await page.waitForSelector(seatSelector('inbound', 3, 'free'), { timeout: 3_000 });

      const confirmed = page.waitForResponse((r) => r.url().endsWith(`/api/flight/holds/${holdId}/confirm`));
      await page.click('#hold-confirm');
      assert.equal((await confirmed).status(), 410);
      const result = await page.waitForSelector('#result[data-outcome="refused"]');
      assert.match(await result.textContent() ?? '', /410 hold_expired/);
      assert.match(await result.textContent() ?? '', /expired/i);
      assert.equal(await page.isHidden('#hold'), true);
      assert.deepEqual(await seatRows(state.databaseUrl, 'BKJT123', '2025-04-07', 5), []);
      assert.deepEqual(await holdStatus(state.databaseUrl, holdId), { status: 'expired', booking_id: null });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await api.close();
    }
  });

  it('with sign-in on: asks to sign in, shows a wrong password\'s 401, books as a demo account, refreshes an expired token', async () => {
    const password = 'demo-password-for-the-page';
    await query(state.databaseUrl, 'select ensure_demo_accounts($1)', [password]);
    const api = await startApi(state.databaseUrl, undefined, { auth: jwtAuth({ accessTtlSeconds: 1 }) });
    const { page, errors } = await openTrip(api.url);
    try {
      assert.equal(await page.isVisible('#login'), true, 'the API requires a token for booking: the form shows');
      assert.equal(await page.isHidden('#user-field'), true, 'the user comes from the token');
      const refused = await bookOnPage(page, 5, 3);
      assert.equal(refused.status(), 401);
      const asked = await page.waitForSelector('#result[data-outcome="refused"]');
      assert.match(await asked.textContent() ?? '', /401.*Please sign in to book\./);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'email');

      await page.fill('#login input[name="email"]', 'user1@blackjet.example');
      await page.fill('#login input[name="password"]', 'not the password');
      await page.click('#login button[type="submit"]');
      await page.waitForFunction(() => /^401 invalid_credentials: /.test(document.querySelector('#login-status')?.textContent ?? ''));
      assert.equal(await page.isHidden('#signed-in'), true);

      await page.fill('#login input[name="password"]', password);
      const loggedIn = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
      await page.click('#login button[type="submit"]');
      const { accessToken } = await (await loggedIn).json();
      await page.waitForSelector('#signed-in:not([hidden])');
      assert.equal(await page.textContent('#signed-in span'), 'Signed in as user1@blackjet.example.');
      const booked = page.waitForResponse((r) => r.url().endsWith('/api/flight/booking'));
      await page.click('#book button[type="submit"]'); // the seats picked before are still picked
      assert.equal((await booked).status(), 201);
      await page.waitForSelector('#result[data-outcome="confirmed"]');
      assert.equal((await seatOwners(state.databaseUrl, 'BKJT123', '2025-04-07'))[5], 1, 'booked as user 1');
      assert.equal(await page.evaluate(() => localStorage.length), 0, 'no token in localStorage');

      // Once the server refuses the access token (1 s, plus its clock tolerance), the next booking
      // refreshes it and goes through, with no sign-in asked.
      await untilRefused(`${api.url}/api/users/1/itineraries`, accessToken);
      const seen: string[] = [];
      page.on('response', (r) => { if (r.url().includes('/api/flight/booking') || r.url().includes('/api/auth/')) seen.push(`${r.status()} ${new URL(r.url()).pathname}`); });
      const rebooked = page.waitForResponse((r) => r.url().endsWith('/api/flight/booking') && r.status() !== 401);
      await bookOnPage(page, 6, 4);
      assert.equal((await rebooked).status(), 201);
      await page.waitForSelector('#result[data-outcome="confirmed"]');
      assert.deepEqual(seen, ['401 /api/flight/booking', '200 /api/auth/refresh', '201 /api/flight/booking']);
      assert.equal((await seatOwners(state.databaseUrl, 'BKJT123', '2025-04-07'))[6], 1);
      assert.equal(await page.isVisible('#signed-in'), true);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await api.close();
    }
  });

  it('searches a generated schedule by route and dates: local times, fares, status, a cancelled flight, a round trip', async () => {
    await query(state.databaseUrl, 'select generate_demo_schedule($1, $2)', ['2026-03-02', 7]);
    const [route] = await query(state.databaseUrl, `select f.origin, f.destination from flights f
      where f.flight_number like 'BJ%' and f.origin = 'LAX' order by f.flight_number limit 1`);
    const outbound = await scheduleRows(state.databaseUrl, route.origin, route.destination, '2026-03-03', '2026-03-04');
    const inbound = await scheduleRows(state.databaseUrl, route.destination, route.origin, '2026-03-05', '2026-03-06');
    assert.ok(outbound.length >= 2 && inbound.length >= 1, `${outbound.length} outbound, ${inbound.length} return`);
    // The first outbound flight is cancelled (in psql, as an operator may): listed as such, not bookable.
    const cancelled = outbound[0]!;
    const open = outbound[1]!;
    const back = inbound[0]!;
    await query(state.databaseUrl, 'select * from cancel_flight($1, $2)', [cancelled.flightNumber, cancelled.isoDate]);
    cancelled.cells[6] = 'Cancelled';
    cancelled.cells[5] = '–';

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = pageErrors(page);
    try {
      await page.goto(`${state.api.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      const airports = await page.$$eval('#airports option', (options) => options.map((o) => (o as HTMLOptionElement).value));
      assert.ok(airports.includes('LAX') && airports.includes('SFO'), airports.join(' '));
      await page.fill('input[name="origin"]', route.origin.toLowerCase()); // taken as the capitals it means
      await page.fill('input[name="destination"]', route.destination);
      await page.fill('input[name="departureFrom"]', '2026-03-03');
      await page.fill('input[name="departureTo"]', '2026-03-04');
      await page.fill('input[name="returnFrom"]', '2026-03-05');
      await page.fill('input[name="returnTo"]', '2026-03-06');
      await page.click('#search button[type="submit"]');
      const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      const expected = `${plural(outbound.length, 'outbound flight')} and ${plural(inbound.length, 'return flight')} found.`;
      await page.waitForFunction((text) => document.querySelector('#search-status')?.textContent === text, expected);
      assert.equal(await page.inputValue('input[name="origin"]'), route.origin);

      const shown = (table: string) => page.$$eval(`${table} tbody tr`, (rows) => rows.map((row) =>
        [...(row as HTMLTableRowElement).cells].slice(0, 7).map((cell) => cell.textContent)));
      assert.deepEqual(await shown('#results'), outbound.slice(0, 10).map((f) => f.cells));
      assert.deepEqual(await shown('#results-inbound'), inbound.slice(0, 10).map((f) => f.cells));
      assert.equal(await page.isVisible('#inbound-results-title'), true);

      const cancelledButton = page.locator(`#results button[aria-label="Outbound: ${cancelled.flightNumber} on ${cancelled.date} (cancelled, cannot be booked)"]`);
      assert.equal(await cancelledButton.isDisabled(), true);
      assert.equal(await page.locator('#results button[data-leg="inbound"]').count(), 0, 'outbound candidates offer only Outbound');
      assert.equal(await page.locator('#results-inbound button[data-leg="outbound"]').count(), 0, 'return candidates offer only Return');

      // Open the round trip from the two lists and book it.
      await page.click(`#results button[aria-label="Outbound: ${open.flightNumber} on ${open.date}"]`);
      await page.click(`#results-inbound button[aria-label="Return: ${back.flightNumber} on ${back.date}"]`);
      await page.waitForSelector('.leg[data-leg="outbound"] .seat-map[data-version]');
      await page.waitForSelector('.leg[data-leg="inbound"] .seat-map[data-version]');
      assert.equal(await page.textContent('.leg[data-leg="outbound"] .leg-flight'),
        `${open.flightNumber} · ${open.date} · ${route.origin} → ${route.destination}`);
      assert.equal(await page.locator('.leg[data-leg="outbound"] .seat').count(), open.capacity);
      const booked = await bookOnPage(page, open.capacity, 1);
      assert.equal(booked.status(), 201);
      await page.waitForSelector('#result[data-outcome="confirmed"]');
      assert.deepEqual(await takenSeats(state.databaseUrl, open.flightNumber, open.isoDate), [open.capacity]);
      assert.deepEqual(await takenSeats(state.databaseUrl, back.flightNumber, back.isoDate), [1]);

      // A link to the cancelled flight opens it as cancelled: its seats cannot be picked, nothing booked.
      const linked = await openTrip(state.api.url, `#outbound=${cancelled.flightNumber}_${cancelled.date}&inbound=${back.flightNumber}_${back.date}`);
      try {
        await linked.page.waitForFunction(() => document.querySelector('.leg[data-leg="outbound"] .leg-meta')?.textContent
          === 'This flight is cancelled: it cannot be booked.');
        assert.equal(await linked.page.textContent('.leg[data-leg="outbound"] .leg-flight'),
          `${cancelled.flightNumber} · ${cancelled.date} · ${route.origin} → ${route.destination} · Cancelled`);
        await linked.page.click(seatSelector('outbound', 2), { force: true });
        assert.equal(await linked.page.getAttribute(seatSelector('outbound', 2), 'aria-pressed'), 'false');
        assert.equal(await linked.page.getAttribute(seatSelector('outbound', 2), 'aria-disabled'), 'true');
        assert.equal(await linked.page.textContent('#book-hint'), 'A cancelled flight cannot be booked: choose another.');
        assert.deepEqual(linked.errors, []);
      } finally {
        await linked.page.close();
      }
      assert.deepEqual(await takenSeats(state.databaseUrl, cancelled.flightNumber, cancelled.isoDate), []);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('shows the connection lost while the API restarts, then resyncs and shows what changed meanwhile', async () => {
    const { page, errors } = await openTrip(state.api.url);
    try {
      const port = Number(new URL(state.api.url).port);
      await state.api.close(0);
      await page.waitForSelector('body[data-connection="offline"]');
      assert.match(await page.textContent('#connection') ?? '', /Disconnected: reconnecting/);

      await bookInPsql(state.databaseUrl, ['BKJT123', '2025-04-07', 7], ['BKJT234', '2025-04-08', 5]);
      state.api = await startApi(state.databaseUrl, undefined, { port });
      await page.waitForSelector('body[data-connection="live"]', { timeout: 20_000 });
      await page.waitForSelector(seatSelector('outbound', 7, 'taken'));
      await page.waitForSelector(seatSelector('inbound', 5, 'taken'));
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('links the AsyncAPI document from /docs', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${state.api.url}/docs/`);
      await page.waitForSelector('a[href="/asyncapi.json"]');
    } finally {
      await page.close();
    }
  });

  it('a page on an origin in CORS_ORIGINS reaches Socket.IO over polling and WebSocket; other origins cannot', async () => {
    const allowed = await servePage();
    const other = await servePage();
    const api = await startApi(state.databaseUrl, { corsOrigins: [allowed.origin] });
    const page = await browser.newPage();
    try {
      for (const transport of ['polling', 'websocket']) {
        await page.goto(`${allowed.origin}/?api=${encodeURIComponent(api.url)}&transport=${transport}`);
        await page.waitForFunction(() => document.title !== 'waiting');
        assert.equal(await page.title(), 'snapshot 1,2,5,6,7', transport);
        await page.goto(`${other.origin}/?api=${encodeURIComponent(api.url)}&transport=${transport}`);
        await page.waitForFunction(() => document.title !== 'waiting');
        assert.equal(await page.title(), 'refused', transport);
      }
    } finally {
      await page.close();
      await api.close();
      allowed.server.close();
      other.server.close();
    }
  });
});

describe('the seat-map page and a database restart', () => {
  it('says live updates are paused while the database is down, then recovers by itself', async () => {
    const database = await startRestartableDatabase();
    const api = await startApi(database.url);
    const { page, errors } = await openTrip(api.url);
    try {
      await database.stop();
      await page.waitForSelector('body[data-connection="paused"]');
      assert.match(await page.textContent('#connection') ?? '', /Live updates paused/);

      await database.start();
      await page.waitForSelector('body[data-connection="live"]', { timeout: 30_000 });
      await bookInPsql(database.url, ['BKJT123', '2025-04-07', 1], ['BKJT234', '2025-04-08', 2]);
      const committedAt = Date.now();
      await page.waitForSelector(seatSelector('outbound', 1, 'taken'), { timeout: LIVE_WITHIN_MS });
      await page.waitForSelector(seatSelector('inbound', 2, 'taken'), { timeout: LIVE_WITHIN_MS });
      assert.ok(Date.now() - committedAt < LIVE_WITHIN_MS);

      const response = await bookOnPage(page, 2, 3);
      assert.equal(response.status(), 201);
      await page.waitForSelector('#result[data-outcome="confirmed"]');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await api.close();
      await database.destroy();
    }
  });
});

/**
 * A route's flights in a window of local departure days, as the page should list them (flight, route,
 * local departure, local arrival with "+1 day" when it lands on a later local date, fare, free seats,
 * status), computed in SQL from the tables, independently of the API.
 */
async function scheduleRows(databaseUrl: string, origin: string, destination: string, fromDay: string, toDay: string) {
  const rows = await query(databaseUrl, `
    select f.flight_number, f.flight_date::text as iso_date, to_char(f.flight_date, 'DD/MM/YYYY') as date,
           to_char(f.departure_at at time zone o.time_zone, 'HH24:MI') as departs,
           to_char(f.arrival_at at time zone d.time_zone, 'HH24:MI') as arrives,
           (f.arrival_at at time zone d.time_zone)::date - (f.departure_at at time zone o.time_zone)::date as days,
           f.fare::text as fare, f.total_seats, f.status,
           f.total_seats - (select count(*) from seats s where s.flight_id = f.id)::int as free
      from flights f join airports o on o.code = f.origin join airports d on d.code = f.destination
     where f.origin = $1 and f.destination = $2 and f.flight_date between $3 and $4
     order by f.departure_at, f.flight_number`, [origin, destination, fromDay, toDay]);
  return rows.map((r) => ({
    flightNumber: r.flight_number as string, isoDate: r.iso_date as string, date: r.date as string, capacity: r.total_seats as number,
    cells: [r.flight_number, `${origin} → ${destination}`, `${r.date} ${r.departs}`,
      r.arrives + (r.days > 0 ? ` (+${r.days} day${r.days === 1 ? '' : 's'})` : ''), `$${Number(r.fare).toFixed(2)}`,
      `${r.free} of ${r.total_seats}`, r.status === 'cancelled' ? 'Cancelled' : 'Scheduled'],
  }));
}

/** Resolves once `count` sessions of the database wait on a lock (bounded, re-checked every 20 ms). */
async function untilLockWaiters(databaseUrl: string, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ n }] = await query(databaseUrl,
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`${n} of ${count} sessions waiting on a lock after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A page on an origin of its own (another port) that loads the API's Socket.IO client script, connects to
 * the API with the transport named in its query and subscribes; its title tells the outcome.
 */
async function servePage(): Promise<{ server: Server; origin: string }> {
  const html = `<!doctype html><title>waiting</title><script>
    const params = new URLSearchParams(location.search);
    const script = document.createElement('script');
    script.src = params.get('api') + '/socket.io/socket.io.min.js';
    script.onerror = () => { document.title = 'no client script'; };
    script.onload = () => {
      const socket = io(params.get('api'), { transports: [params.get('transport')], reconnection: false });
      socket.on('connect', () => socket.emit('subscribe', { flightNumber: 'BKJT123', date: '07/04/2025' },
        (reply) => { document.title = 'snapshot ' + reply.availableSeats; }));
      socket.on('connect_error', () => { document.title = 'refused'; });
    };
    document.head.append(script);
  </script>`;
  const server = createServer((_req, res) => { res.setHeader('content-type', 'text/html'); res.end(html); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
