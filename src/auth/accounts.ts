/** Calls the account functions of sql/accounts.sql. The API role can call them, and read nothing of schema auth. */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Role } from './tokens.ts';

export interface Session {
  userId: number;
  role: Role;
  refreshToken: string;
}

export type Refreshed = Session | { refused: { code: string; message: string } };

export async function registerAccount(db: Db, account: { email: string; password: string; firstName: string; lastName: string }): Promise<number> {
  const { rows } = await db.execute<{ user_id: number }>(sql`
    select register_account(email => ${account.email}, password => ${account.password},
      first_name => ${account.firstName}, last_name => ${account.lastName}) as user_id`);
  return rows[0]!.user_id;
}

type SessionRow = { user_id: number; role: Role; refresh_token: string };

export async function login(db: Db, email: string, password: string): Promise<Session> {
  const { rows } = await db.execute<SessionRow>(sql`select user_id, role, refresh_token from login(${email}, ${password})`);
  const row = rows[0]!;
  return { userId: row.user_id, role: row.role, refreshToken: row.refresh_token };
}

/** A new refresh token for a valid one; a refusal (BJ013 invalid, BJ014 reused: family revoked) otherwise. */
export async function refreshSession(db: Db, refreshToken: string): Promise<Refreshed> {
  const { rows } = await db.execute<SessionRow & { refusal_code: string | null; refusal_message: string | null }>(sql`
    select user_id, role, refresh_token, refusal_code, refusal_message from refresh_session(${refreshToken})`);
  const row = rows[0]!;
  if (row.refusal_code) return { refused: { code: row.refusal_code, message: row.refusal_message ?? '' } };
  return { userId: row.user_id, role: row.role, refreshToken: row.refresh_token };
}

export async function logout(db: Db, refreshToken: string): Promise<void> {
  await db.execute(sql`select logout(${refreshToken})`);
}
