/**
 * Gets a migrated database and the two ways into it: the owner's (migrations, seeding, psql for DBAs)
 * and the API's (the restricted blackjet_api role). With DATABASE_URL the operator provides both
 * (MIGRATION_DATABASE_URL for the owner, defaulting to DATABASE_URL); otherwise the embedded PostgreSQL
 * under the data dir, where the API role is created on the spot.
 */
import type { Config } from '../config.ts';
import { apiRoleUrl, EMBEDDED_API_PASSWORD, ensureApiRole } from './apiRole.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrateDatabase } from './migrate.ts';

export interface ProvisionedDatabase {
  /** The schema owner: migrations, seeding, DBAs. */
  ownerUrl: string;
  /** What the API connects as. */
  apiUrl: string;
  embedded: boolean;
  /** Stops the embedded database; nothing for DATABASE_URL. */
  stop(): Promise<void>;
}

export async function provisionDatabase(config: Config): Promise<ProvisionedDatabase> {
  if (config.databaseUrl) {
    const ownerUrl = config.migrationDatabaseUrl ?? config.databaseUrl;
    await migrateDatabase(ownerUrl);
    return { ownerUrl, apiUrl: config.databaseUrl, embedded: false, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    database: 'blackjet',
    persistent: true,
    durable: true,
  });
  try {
    await migrateDatabase(embedded.url);
    await ensureApiRole(embedded.url, EMBEDDED_API_PASSWORD);
  } catch (e) {
    await embedded.stop();
    throw e;
  }
  return { ownerUrl: embedded.url, apiUrl: apiRoleUrl(embedded.url, EMBEDDED_API_PASSWORD), embedded: true, stop: embedded.stop };
}

