/**
 * Accounts and tokens over HTTP (AUTH_MODE=jwt): register, login, refresh with rotation and reuse
 * detection, logout, login rate limits, rate limits keyed on the user, and /metrics off the public API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, query, startApi } from './helpers/api.ts';
import { accessToken, bearer, jwtAuth } from './helpers/auth.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { callApi } from './helpers/contract.ts';

const PASSWORD = 'correct horse battery';

let cluster: TestCluster;
let url: string;
let api: RunningServer;
before(async () => {
  cluster = await startTestCluster();
  url = await cluster.freshDatabase();
  api = await startApi(url, {}, { auth: jwtAuth() });
});
after(async () => {
  await api.close();
  await cluster.stop();
});

const register = (body: object, base = api.url) => callApi(base, 'POST', '/api/auth/register', { body });
const login = (email: string, password: string, base = api.url) => callApi(base, 'POST', '/api/auth/login', { body: { email, password } });
const refresh = (refreshToken: string) => callApi(api.url, 'POST', '/api/auth/refresh', { body: { refreshToken } });

describe('register and login', () => {
  it('registers, refuses the same email in another case (409) and short passwords (400)', async () => {
    const created = await register({ email: 'Grace@Example.com', password: PASSWORD, firstName: 'Grace', lastName: 'Hopper' });
    assert.equal(created.status, 201);
    assert.equal(created.body.email, 'Grace@Example.com');
    assert.ok(Number.isInteger(created.body.userId));

    const again = await register({ email: 'grace@example.COM', password: PASSWORD, firstName: 'G', lastName: 'H' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'email_in_use');

    const short = await register({ email: 'short@example.com', password: '123456789', firstName: 'S', lastName: 'S' });
    assert.equal(short.status, 400);
    assert.ok(short.body.details.some((d: { field: string }) => d.field === 'password'));
    const [{ n }] = await query(url, "select count(*)::int as n from auth.accounts where lower(email) = 'short@example.com'");
    assert.equal(n, 0);
  });

  it('logs in with the contract\'s token pair; a wrong email and a wrong password get the same 401', async () => {
    const ok = await login('grace@example.com', PASSWORD);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.tokenType, 'Bearer');
    assert.equal(ok.body.expiresIn, 900);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    const claims = JSON.parse(Buffer.from(ok.body.accessToken.split('.')[1], 'base64url').toString());
    assert.equal(claims.role, 'customer');
    assert.equal(claims.exp - claims.iat, 900, '15 minutes');
    const [stored] = await query(url, 'select extract(epoch from expires_at - issued_at)::int as ttl from auth.refresh_tokens where token_hash = digest($1, \'sha256\')',
      [ok.body.refreshToken]);
    assert.equal(stored.ttl, 7 * 24 * 3600, '7 days, stored hashed');

    const wrongPassword = await login('grace@example.com', 'not the password');
    const wrongEmail = await login('nobody@example.com', PASSWORD);
    assert.equal(wrongPassword.status, 401);
    assert.deepEqual(wrongPassword.body, wrongEmail.body);
    assert.equal(wrongPassword.body.error, 'invalid_credentials');
  });

  it('the access token books for its user, and only for its user', async () => {
    const session = await login('grace@example.com', PASSWORD);
    const [{ user_id: userId }] = await query(url, "select user_id from auth.accounts where lower(email) = 'grace@example.com'");
    const { userId: _, ...trip } = SPEC_EXAMPLE;
    const booked = await callApi(api.url, 'POST', '/api/flight/booking', { body: trip, headers: bearer(session.body.accessToken) });
    assert.equal(booked.status, 201);
    const mine = await callApi(api.url, 'GET', `/api/users/${userId}/itineraries`, { headers: bearer(session.body.accessToken) });
    assert.deepEqual(mine.body.items.map((b: { bookingId: string }) => b.bookingId), [booked.body.bookingId]);
    const forSomeoneElse = await callApi(api.url, 'POST', '/api/flight/booking', {
      body: { ...trip, outboundSeat: 6, inboundSeat: 4, userId: 1 }, headers: bearer(session.body.accessToken),
    });
    assert.equal(forSomeoneElse.status, 403);
  });
});

describe('refresh tokens', () => {
  it('rotate: each works once and gives a new pair', async () => {
    const first = await login('grace@example.com', PASSWORD);
    const second = await refresh(first.body.refreshToken);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refreshToken, first.body.refreshToken);
    assert.equal((await callApi(api.url, 'GET', '/api/flights', { headers: bearer(second.body.accessToken) })).status, 200);
    const third = await refresh(second.body.refreshToken);
    assert.equal(third.status, 200);
  });

  it('a used one answers 401 and revokes its whole family; other logins go on', async () => {
    const stolen = await login('grace@example.com', PASSWORD);
    const otherDevice = await login('grace@example.com', PASSWORD);
    const rotated = await refresh(stolen.body.refreshToken);
    assert.equal(rotated.status, 200);

    const reuse = await refresh(stolen.body.refreshToken);
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.error, 'invalid_refresh_token');
    const newest = await refresh(rotated.body.refreshToken);
    assert.equal(newest.status, 401, 'the rotated token of the same family is revoked too');
    assert.equal((await refresh(otherDevice.body.refreshToken)).status, 200, 'another login is another family');
  });

  it('two simultaneous refreshes with one token: one rotates, the other is reuse and ends the family', async () => {
    const session = await login('grace@example.com', PASSWORD);
    const answers = await Promise.all([refresh(session.body.refreshToken), refresh(session.body.refreshToken)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401]);
    const winner = answers.find((a) => a.status === 200)!;
    assert.equal((await refresh(winner.body.refreshToken)).status, 401);
  });

  it('logout ends the login: its refresh token no longer works; logging out twice is fine', async () => {
    const session = await login('grace@example.com', PASSWORD);
    const out = await callApi(api.url, 'POST', '/api/auth/logout', { body: { refreshToken: session.body.refreshToken } });
    assert.equal(out.status, 204);
    assert.equal((await refresh(session.body.refreshToken)).status, 401);
    assert.equal((await callApi(api.url, 'POST', '/api/auth/logout', { body: { refreshToken: session.body.refreshToken } })).status, 204);
  });
});

describe('limits and metrics', () => {
  it('failed logins are limited per account, and attempts per client IP', async () => {
    const limited = await startApi(url, {}, { auth: jwtAuth({ failedLoginsPerAccount: 3, loginsPerIpPerMinute: 8 }) });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await login('grace@example.com', 'wrong password!', limited.url)).status, 401);
      const blocked = await login('grace@example.com', PASSWORD, limited.url);
      assert.equal(blocked.status, 429, 'even the right password, once the account is under attack');
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      assert.equal((await login('GRACE@example.com', PASSWORD, limited.url)).status, 429, 'the email\'s case does not matter');
      assert.equal((await login('user9@blackjet.example', 'wrong password!', limited.url)).status, 401, 'another account is not blocked');
      // 6 attempts so far from this IP; the 9th is refused whatever the account.
      assert.equal((await login('a@example.com', 'wrong password!', limited.url)).status, 401);
      assert.equal((await login('b@example.com', 'wrong password!', limited.url)).status, 401);
      assert.equal((await login('c@example.com', 'wrong password!', limited.url)).status, 429);
    } finally {
      await limited.close();
    }
  });

  it('booking rate limits key on the user: two users behind one IP have a budget each', async () => {
    const limited = await startApi(url, { bookingsPerMinute: 2 }, { auth: jwtAuth() });
    try {
      const post = async (userId: number) => (await callApi(limited.url, 'POST', '/api/flight/booking', {
        body: { ...SPEC_EXAMPLE, outboundSeat: 99, userId }, headers: bearer(await accessToken(userId)),
      })).status;
      assert.deepEqual([await post(4), await post(4), await post(4)], [400, 400, 429]);
      assert.deepEqual([await post(5), await post(5)], [400, 400], 'user 5 from the same IP is not limited by user 4');
    } finally {
      await limited.close();
    }
  });

  it('/metrics is not on the public port: its own port (METRICS_PORT) or a token (METRICS_TOKEN)', async () => {
    assert.equal((await fetch(`${api.url}/metrics`)).status, 404, 'jwt mode without either: not served');

    const ownPort = await startApi(url, {}, { auth: jwtAuth(), metrics: { port: 0 } });
    try {
      assert.equal((await fetch(`${ownPort.url}/metrics`)).status, 404);
      const scraped = await fetch(ownPort.metricsUrl!);
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /blackjet_booking_attempts_total/);
    } finally {
      await ownPort.close();
    }

    const token = 'metrics-token-0123456789';
    const withToken = await startApi(url, {}, { auth: jwtAuth(), metrics: { token } });
    try {
      assert.equal((await fetch(`${withToken.url}/metrics`)).status, 401);
      assert.equal((await fetch(`${withToken.url}/metrics`, { headers: bearer('wrong-token-0123456789') })).status, 401);
      const customer = await login('grace@example.com', PASSWORD, withToken.url);
      assert.equal((await fetch(`${withToken.url}/metrics`, { headers: bearer(customer.body.accessToken) })).status, 401, 'an access token is not the metrics token');
      assert.equal((await fetch(`${withToken.url}/metrics`, { headers: bearer(token) })).status, 200);
    } finally {
      await withToken.close();
    }
  });

  it('the OpenAPI document has the bearer scheme on the operations that need it', async () => {
    const doc = await (await fetch(`${api.url}/openapi.json`)).json();
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: doc.components.securitySchemes.bearerAuth.description,
    });
    for (const [path, method] of [['/api/flight/booking', 'post'], ['/api/flight/booking/{bookingId}', 'delete'],
      ['/api/bookings/{bookingId}', 'get'], ['/api/users/{userId}/itineraries', 'get']] as const) {
      assert.deepEqual(doc.paths[path][method].security, [{ bearerAuth: [] }], `${method} ${path}`);
      assert.ok(doc.paths[path][method].responses[401], `${method} ${path} documents 401`);
    }
    assert.equal(doc.paths['/api/flights'].get.security, undefined, 'flights are public');
    assert.ok(doc.paths['/api/auth/login'].post);
    // Swagger UI gets the same document (its Authorize button comes from securitySchemes) and keeps the token.
    const init = await (await fetch(`${api.url}/docs/swagger-ui-init.js`)).text();
    assert.match(init, /"bearerAuth"/);
    assert.match(init, /"persistAuthorization": true/);
  });
});
