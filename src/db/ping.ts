/** Whether the database answers a trivial query within a deadline (for the readiness probe). */
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';

export async function databaseAnswers(db: Db, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
  const ping = db.execute(sql`select 1`).then(() => true, () => false);
  try {
    return await Promise.race([ping, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
