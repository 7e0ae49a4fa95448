/**
 * Gets a migrated database: DATABASE_URL when set, otherwise the embedded PostgreSQL under the data dir.
 */
import type { Config } from '../config.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrateDatabase } from './migrate.ts';

export interface ProvisionedDatabase {
  url: string;
  embedded: boolean;
  /** Stops the embedded database; nothing for DATABASE_URL. */
  stop(): Promise<void>;
}

export async function provisionDatabase(config: Config): Promise<ProvisionedDatabase> {
  if (config.databaseUrl) {
    await migrateDatabase(config.databaseUrl);
    return { url: config.databaseUrl, embedded: false, stop: async () => {} };
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
  } catch (e) {
    await embedded.stop();
    throw e;
  }
  return { url: embedded.url, embedded: true, stop: embedded.stop };
}
