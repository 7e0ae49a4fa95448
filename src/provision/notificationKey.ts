/**
 * The key that signs seat-change notifications (sql/notification_signing.sql). Only the schema owner can
 * read it; the API's own role (the one every query runs as) never can. An instance gets it one of two ways:
 * - it holds the owner's connection (the embedded database, or MIGRATION_DATABASE_URL): read once at start;
 * - it holds only its own role (a replica of the deployment recipe): NOTIFICATION_SIGNING_KEY, the same value
 *   the owner's setup step was given, which that step stored in the table (storeNotificationKey).
 */
import pg from 'pg';

export async function readNotificationKey(ownerUrl: string): Promise<Buffer> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'blackjet-migrate' });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: Buffer }>('select key from notification_signing_key');
    if (!rows[0]) throw new Error('notification_signing_key is empty: run the migrations');
    return rows[0].key;
  } finally {
    await client.end();
  }
}

/** Makes `key` the signing key (as the owner, after the migrations): the operator's NOTIFICATION_SIGNING_KEY. */
export async function storeNotificationKey(ownerUrl: string, key: Buffer): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'blackjet-migrate' });
  await client.connect();
  try {
    await client.query(`insert into notification_signing_key (key) values ($1)
      on conflict (only_row) do update set key = excluded.key`, [key]);
  } finally {
    await client.end();
  }
}
