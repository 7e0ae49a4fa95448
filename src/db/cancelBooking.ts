/** Calls cancel_booking() (sql/cancel_booking.sql): both seats freed and the booking marked, in one statement. */
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';

export async function cancelBooking(db: Db, bookingId: string): Promise<void> {
  await db.execute(sql`select booking_id from cancel_booking(${bookingId}::uuid)`);
}
