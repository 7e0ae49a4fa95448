/**
 * The zero-set-up demo's identity: with the embedded database and AUTH_MODE=jwt, a signing key and a demo
 * password are made at the first start and kept with the database's other secrets in its data dir
 * (provision/secrets.ts: blackjet-secrets.json, mode 0600), and every seeded user gets an account
 * (user<id>@blackjet.example) plus one admin (admin@blackjet.example), all with that password. Never
 * used with DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { keepSecret, readSecret, secretOf } from '../provision/secrets.ts';

export interface DemoIdentity {
  signingKey: string;
  password: string;
  /** Accounts created by this start. */
  added: number;
}

export async function prepareDemoIdentity(dataDir: string, ownerUrl: string): Promise<DemoIdentity> {
  const signingKey = secretOf(dataDir, 'jwtSigningKey');
  const kept = readSecret(dataDir, 'demoPassword');
  const password = kept ?? `demo-${randomBytes(6).toString('base64url')}`;
  if (!kept) keepSecret(dataDir, 'demoPassword', password);

  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'blackjet-seed' });
  await client.connect();
  try {
    // A new password (the secrets were lost) also applies to demo accounts made with the old one.
    const { rows } = await client.query<{ added: number }>('select ensure_demo_accounts($1, $2) as added', [password, !kept]);
    return { signingKey, password, added: rows[0]!.added };
  } finally {
    await client.end();
  }
}
