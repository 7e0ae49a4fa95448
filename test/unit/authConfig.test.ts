import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireSigningKey } from '../../src/auth/settings.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const DATABASE_URL = 'postgres://api:x@db:5432/blackjet';
const SECRET = 'a-signing-key-of-at-least-32-characters!';
const named = (name: string) => (e: unknown) => e instanceof ConfigError && e.message.startsWith(name);

describe('identity configuration', () => {
  it('AUTH_MODE is jwt by default; none is the open contract', () => {
    assert.equal(loadConfig({}).auth.mode, 'jwt');
    assert.equal(loadConfig({ AUTH_MODE: 'none', DATABASE_URL }).auth.mode, 'none');
    assert.throws(() => loadConfig({ AUTH_MODE: 'open' }), named('AUTH_MODE'));
  });

  it('jwt with DATABASE_URL and no signing key refuses to start, naming AUTH_JWT_SECRET', () => {
    assert.throws(() => requireSigningKey(loadConfig({ DATABASE_URL })), named('AUTH_JWT_SECRET'));
    requireSigningKey(loadConfig({ DATABASE_URL, AUTH_MODE: 'none' })); // the database tools need no key either
    assert.throws(() => loadConfig({ DATABASE_URL, AUTH_JWT_SECRET: 'short' }), named('AUTH_JWT_SECRET'));
    const auth = loadConfig({ DATABASE_URL, AUTH_JWT_SECRET: SECRET }).auth;
    assert.deepEqual(auth.mode === 'jwt' && [auth.secret, auth.issuer, auth.audience], [SECRET, 'blackjet', 'blackjet-api']);
  });

  it('the embedded demo may start without a key (it generates one)', () => {
    const config = loadConfig({});
    requireSigningKey(config);
    assert.equal(config.auth.mode === 'jwt' && config.auth.secret, undefined);
  });

  it('AUTH_JWKS_URL needs its issuer and audience', () => {
    const base = { DATABASE_URL, AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json' };
    assert.throws(() => loadConfig(base), named('AUTH_JWKS_ISSUER'));
    assert.throws(() => loadConfig({ ...base, AUTH_JWKS_ISSUER: 'https://idp.example/' }), named('AUTH_JWKS_AUDIENCE'));
    assert.throws(() => loadConfig({ ...base, AUTH_JWKS_URL: 'not a url' }), named('AUTH_JWKS_URL'));
    const auth = loadConfig({ ...base, AUTH_JWKS_ISSUER: 'https://idp.example/', AUTH_JWKS_AUDIENCE: 'blackjet' }).auth;
    assert.deepEqual(auth.mode === 'jwt' && auth.jwks, {
      url: base.AUTH_JWKS_URL, issuer: 'https://idp.example/', audience: 'blackjet', userClaim: 'blackjet_user_id', roleClaim: 'blackjet_role',
    });
  });

  it('metrics and login limits are checked', () => {
    assert.equal(loadConfig({ METRICS_PORT: '9464' }).metricsPort, 9464);
    assert.throws(() => loadConfig({ METRICS_PORT: 'x' }), named('METRICS_PORT'));
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'short' }), named('METRICS_TOKEN'));
    assert.throws(() => loadConfig({ RATE_LIMIT_LOGINS_PER_IP: 'lots' }), named('RATE_LIMIT_LOGINS_PER_IP'));
    assert.equal(loadConfig({ RATE_LIMIT_LOGINS_PER_ACCOUNT: '3' }).auth.failedLoginsPerAccount, 3);
  });
});
