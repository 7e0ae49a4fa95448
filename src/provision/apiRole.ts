/**
 * The API's database role (see sql/privileges.sql): it may execute the booking functions and read what
 * the API serves, nothing else. Created by `npm run db:create-api-role` on an existing server, and by
 * `npm start` for the embedded database.
 */
import pg from 'pg';

export const API_ROLE = 'blackjet_api';
/**
 * Creates the role if it does not exist, and grants its rights. `password` is set only on creation,
 * unless `resetPassword` (the embedded database, whose passwords live in its data dir).
 */
export async function ensureApiRole(ownerUrl: string, password: string, resetPassword = false): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'blackjet-migrate' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_roles where rolname = $1', [API_ROLE]);
    if (!rowCount) {
      // DDL takes no bind parameters: the name is a constant and the password goes in as a quoted literal.
      await client.query(`create role ${client.escapeIdentifier(API_ROLE)} login password ${client.escapeLiteral(password)}`)
        .catch((e: { code?: string }) => {
          if (e.code !== '42710') throw e; // duplicate_object: another process created it just now
        });
    } else if (resetPassword) {
      await client.query(`alter role ${client.escapeIdentifier(API_ROLE)} password ${client.escapeLiteral(password)}`);
    }
    await client.query('select grant_api_privileges($1)', [API_ROLE]);
  } finally {
    await client.end();
  }
}

/** The same database, as the API role. */
export function apiRoleUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = API_ROLE;
  url.password = encodeURIComponent(password);
  return url.toString();
}
