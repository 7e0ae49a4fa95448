/**
 * An external identity provider's tokens (AUTH_JWKS_URL): checked against a JWKS this test serves itself,
 * as Auth0 or Keycloak publish theirs, with the provider's issuer and audience, the user from a claim.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, query, startApi } from './helpers/api.ts';
import { accessToken, bearer, jwtAuth } from './helpers/auth.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { callApi } from './helpers/contract.ts';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'blackjet-bookings';

let cluster: TestCluster;
let url: string;
let api: RunningServer;
let jwksServer: Server;
let jwksRequests = 0;
let providerKey: CryptoKey;
let strangerKey: CryptoKey;

before(async () => {
  const provider = await generateKeyPair('RS256');
  providerKey = provider.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(provider.publicKey)), kid: 'provider-key-1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((req, res) => {
    jwksRequests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;

  cluster = await startTestCluster();
  url = await cluster.freshDatabase();
  api = await startApi(url, {}, {
    auth: jwtAuth({ jwks: { url: jwksUrl, issuer: ISSUER, audience: AUDIENCE, userClaim: 'https://blackjet.example/user_id', roleClaim: 'realm_access.roles' } }),
  });
});
after(async () => {
  await api.close();
  await cluster.stop();
  jwksServer.close();
});

function providerToken(claims: Record<string, unknown>, options: { key?: CryptoKey; kid?: string; issuer?: string; audience?: string; expiresIn?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'provider-key-1' })
    .setSubject('auth0|5f1c')
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now - 10)
    .setExpirationTime(now + (options.expiresIn ?? 300))
    .sign(options.key ?? providerKey);
}

const itineraries = (userId: number, token: string) =>
  callApi(api.url, 'GET', `/api/users/${userId}/itineraries`, { headers: bearer(token) });

describe('identity provider tokens through a JWKS', () => {
  it('a provider token names the user in its claim: it acts for that user only', async () => {
    const token = await providerToken({ 'https://blackjet.example/user_id': 4 });
    assert.equal((await itineraries(4, token)).status, 200);
    assert.equal((await itineraries(5, token)).status, 403);
    const booked = await callApi(api.url, 'POST', '/api/flight/booking', { body: { ...SPEC_EXAMPLE, userId: undefined }, headers: bearer(token) });
    assert.equal(booked.status, 201);
    const [row] = await query(url, 'select user_id from bookings where id = $1', [booked.body.bookingId]);
    assert.equal(row.user_id, 4);
    assert.ok(jwksRequests >= 1, 'the keys came from the JWKS endpoint');
  });

  it('the role comes from the configured claim (a list, nested): admin there acts for anyone', async () => {
    const admin = await providerToken({ 'https://blackjet.example/user_id': 4, realm_access: { roles: ['offline_access', 'admin'] } });
    assert.equal((await itineraries(5, admin)).status, 200);
  });

  it('refuses the provider\'s tokens with another issuer or audience, expired, signed by another key, or without the user claim', async () => {
    const claims = { 'https://blackjet.example/user_id': 4 };
    const refused = {
      issuer: await providerToken(claims, { issuer: 'https://evil.test/' }),
      audience: await providerToken(claims, { audience: 'another-api' }),
      expired: await providerToken(claims, { expiresIn: -60 }),
      'another key, same kid': await providerToken(claims, { key: strangerKey }),
      'an unknown kid': await providerToken(claims, { key: strangerKey, kid: 'not-published' }),
      'no user claim': await providerToken({}),
      'a user claim that is not an id': await providerToken({ 'https://blackjet.example/user_id': 'auth0|5f1c' }),
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await itineraries(4, token);
      assert.equal(response.status, 401, what);
      assert.equal(response.body.error, 'unauthorized', what);
    }
  });

  it('our own HS256 tokens keep working beside the provider\'s', async () => {
    assert.equal((await itineraries(4, await accessToken(4))).status, 200);
    // A provider-issued token cannot pass as ours by claiming HS256 with the provider's audience.
    const forged = await accessToken(4, { issuer: ISSUER, audience: AUDIENCE });
    assert.equal((await itineraries(4, forged)).status, 401);
  });
});
