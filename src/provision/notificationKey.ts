/**
 * The key that signs seat-change notifications (sql/notification_signing.sql). Only the schema owner can
 * read it, so the API process reads it once at start through the owner's connection, and its own role
 * (the one every query runs as) never can.
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
