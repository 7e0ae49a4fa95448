/**
 * The zero-set-up demo's identity: with the embedded database and AUTH_MODE=jwt, a signing key and a demo
 * password are generated on the first start and kept in the data dir (`blackjet-auth.json`, mode 0600,
 * beside the cluster they belong to), and every seeded user gets an account (user<id>@blackjet.example)
 * plus one admin (admin@blackjet.example), all with that password. Never used with DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export const DEMO_FILE = 'blackjet-auth.json';

export interface DemoIdentity {
  signingKey: string;
  password: string;
  /** Accounts created by this start. */
  added: number;
}

export async function prepareDemoIdentity(dataDir: string, ownerUrl: string): Promise<DemoIdentity> {
  const file = path.join(dataDir, DEMO_FILE);
  let saved: { signingKey: string; password: string } | undefined;
  if (existsSync(file)) saved = JSON.parse(readFileSync(file, 'utf8')) as { signingKey: string; password: string };
  const fresh = !saved;
  saved ??= { signingKey: randomBytes(48).toString('base64url'), password: `demo-${randomBytes(6).toString('base64url')}` };
  if (fresh) {
    writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // also when the file existed with looser rights
  }

  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'blackjet-seed' });
  await client.connect();
  try {
    // A new password (the file was lost) also applies to demo accounts made with the old one.
    const { rows } = await client.query<{ added: number }>('select ensure_demo_accounts($1, $2) as added', [saved.password, fresh]);
    return { ...saved, added: rows[0]!.added };
  } finally {
    await client.end();
  }
}

