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
