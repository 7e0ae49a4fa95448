import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('CORS_ORIGINS', () => {
  it('defaults to no origin at all', () => {
    assert.deepEqual(loadConfig({}).corsOrigins, []);
    assert.deepEqual(loadConfig({ CORS_ORIGINS: '' }).corsOrigins, []);
  });

  it('reads comma-separated origins, ignoring spaces and empty entries', () => {
    assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173,' }).corsOrigins,
      ['https://app.example.com', 'http://localhost:5173']);
  });

  it('refuses anything that is not an exact http(s) origin, naming the variable', () => {
    for (const bad of ['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://x.example.com']) {
      assert.throws(() => loadConfig({ CORS_ORIGINS: bad }), (e: unknown) =>
        e instanceof ConfigError && e.message.includes('CORS_ORIGINS') && e.message.includes(bad), bad);
    }
  });
});

describe('every variable is checked, and a bad one is named', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.migrationDatabaseUrl, undefined);
    assert.equal(config.embeddedPgPort, 54329);
    assert.equal(config.maxSubscriptionsPerSocket, 50);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.shutdownTimeoutMs, 10_000);
    assert.equal(config.bookingsPerMinute, 60);
    assert.equal(config.maxConnectionsPerIp, 100);
    assert.equal(config.trustProxy, 0);
    assert.equal(config.readsPerMinute, 600);
    assert.equal(config.cancellationsPerMinute, 30);
    assert.equal(config.readStatementTimeoutMs, 2_000);
    assert.equal(config.requestTimeoutMs, 30_000);
    assert.deepEqual(config.booking, { maxBatch: 16, connections: 4 });
    assert.equal(config.seed, undefined);
    assert.equal(loadConfig({ SEED: 'demo' }).seed, 'demo');
    assert.equal(config.holdTtlSeconds, 300);
  });

  it('MIGRATION_DATABASE_URL is only what is set: an API instance is not handed the owner by default', () => {
    const url = 'postgres://api:x@db:5432/blackjet';
    assert.equal(loadConfig({ DATABASE_URL: url }).migrationDatabaseUrl, undefined);
    assert.equal(loadConfig({ DATABASE_URL: url, MIGRATION_DATABASE_URL: 'postgres://owner:y@db/blackjet' }).migrationDatabaseUrl, 'postgres://owner:y@db/blackjet');
  });

  const bad: [string, string][] = [
    ['PORT', 'abc'], ['PORT', '70000'], ['PORT', '-1'], ['EMBEDDED_PG_PORT', '5432x'],
    ['DATABASE_URL', 'not a url'], ['DATABASE_URL', 'mysql://db/blackjet'], ['MIGRATION_DATABASE_URL', 'http://db'],
    ['WS_MAX_SUBSCRIPTIONS', '0'], ['WS_MAX_SUBSCRIPTIONS', 'many'], ['LOG_LEVEL', 'loud'],
    ['SHUTDOWN_TIMEOUT_MS', '10s'], ['RATE_LIMIT_BOOKINGS_PER_MINUTE', '-5'], ['WS_MAX_CONNECTIONS_PER_IP', '1.5'],
    ['TRUST_PROXY', 'yes please!'], ['TRUST_PROXY', 'true'], ['TRUST_PROXY', '99'], ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'loopback, 300.1.1.1'], ['TRUST_PROXY', 'loopback,,10.0.0.1'], ['TRUST_PROXY', 'everything'],
    ['RATE_LIMIT_READS_PER_MINUTE', 'lots'], ['RATE_LIMIT_CANCELLATIONS_PER_MINUTE', '-1'],
    ['READ_STATEMENT_TIMEOUT_MS', '0'], ['REQUEST_TIMEOUT_MS', '30s'],
    ['TRUST_PROXY', 'maybe'], ['TRUST_PROXY', '10.0.0.0/8, nearby'], ['LOG_LEVEL', 'bogus'], ['SEED', 'yes'],
    ['BOOKING_BATCH_MAX', '0'], ['BOOKING_BATCH_MAX', '31'], ['BOOKING_BATCH_MAX', 'lots'],
    ['NOTIFICATION_SIGNING_KEY', 'c2hvcnQ='], ['NOTIFICATION_SIGNING_KEY', 'not base64 at all, though long enough to pass a length check'],
    ['BOOKING_CONNECTIONS', '0'], ['BOOKING_CONNECTIONS', '11'], ['BOOKING_CONNECTIONS', '2.5'],
    ['HOLD_TTL_SECONDS', '0'], ['HOLD_TTL_SECONDS', '5m'], ['HOLD_TTL_SECONDS', '90000'],
  ];
  for (const [name, value] of bad) {
    it(`${name}=${value} is refused with a message naming ${name}`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => e instanceof ConfigError && e.message.startsWith(name));
    });
  }

  it('reads NOTIFICATION_SIGNING_KEY as base64 of at least 32 bytes', () => {
    const key = Buffer.alloc(48, 7);
    assert.deepEqual(loadConfig({ NOTIFICATION_SIGNING_KEY: key.toString('base64') }).notificationSigningKey, key);
    assert.equal(loadConfig({}).notificationSigningKey, undefined);
  });

  it('reads the booking queue sizes', () => {
    assert.deepEqual(loadConfig({ BOOKING_BATCH_MAX: '1', BOOKING_CONNECTIONS: '10' }).booking, { maxBatch: 1, connections: 10 });
    assert.throws(() => loadConfig({ BOOKING_BATCH_MAX: '64' }), (e: unknown) => e instanceof ConfigError && e.message === 'BOOKING_BATCH_MAX="64" is not a whole number from 1 to 30');
  });

  it('reads TRUST_PROXY strictly: a hop count or proxy addresses', () => {
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, 0);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy, ['loopback', '10.0.0.0/8']);
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'uniquelocal,linklocal,::1,192.168.1.7/255.255.255.0' }).trustProxy,
      ['uniquelocal', 'linklocal', '::1', '192.168.1.7/255.255.255.0']);
  });

  it('a bad TRUST_PROXY is one line naming the variable and the entry', () => {
    assert.throws(() => loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/99' }), (e: unknown) => e instanceof ConfigError
      && e.message.startsWith('TRUST_PROXY entry "10.0.0.0/99"') && !e.message.includes('\n'));
  });
});
