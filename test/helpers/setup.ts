/** Hooks for an integration test file: one cluster per file; per test a fresh database and an API on it. */
import { after, afterEach, before, beforeEach } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { startApi } from './api.ts';
import { startTestCluster, type TestCluster } from './cluster.ts';

export interface PerTestApi {
  cluster: TestCluster;
  databaseUrl: string;
  api: RunningServer;
}

export function freshApiPerTest(): PerTestApi {
  const state = {} as PerTestApi;
  before(async () => { state.cluster = await startTestCluster(); });
  beforeEach(async () => {
    state.databaseUrl = await state.cluster.freshDatabase();
    state.api = await startApi(state.databaseUrl);
  });
  afterEach(async () => { await state.api.close(); });
  after(async () => { await state.cluster.stop(); });
  return state;
}
