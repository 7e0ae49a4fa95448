/**
 * Secrets of the embedded database, made at its first start and kept in its data dir
 * (`blackjet-secrets.json`, readable by its owner only): the same data dir, the same passwords; a new
 * data dir, new ones. Nothing here is used with DATABASE_URL, where the operator chooses passwords.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SECRETS_FILE = 'blackjet-secrets.json';

export function newSecret(): string {
  return randomBytes(24).toString('base64url'); // URL-safe: goes into connection strings as is
}

export function readSecret(dataDir: string, name: string): string | undefined {
  const file = path.join(dataDir, SECRETS_FILE);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)[name];
}

export function keepSecret(dataDir: string, name: string, value: string): void {
  const file = path.join(dataDir, SECRETS_FILE);
  const saved = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, string> : {};
  writeFileSync(file, `${JSON.stringify({ ...saved, [name]: value }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // also when the file existed with looser rights
}

/** The named secret of this data dir, made and kept now if it has none yet. */
export function secretOf(dataDir: string, name: string): string {
  const saved = readSecret(dataDir, name);
  if (saved) return saved;
  const made = newSecret();
  keepSecret(dataDir, name, made);
  return made;
}
