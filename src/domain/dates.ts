/**
 * Dates on the wire are DD/MM/YYYY (day first); in SQL they are ISO `date` values.
 */

import { WIRE_DATE_PATTERN } from './wire.ts';

const WIRE_DATE = new RegExp(WIRE_DATE_PATTERN);

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** '07/04/2025' -> '2025-04-07'; null for anything that is not a real calendar day. */
export function wireDateToIso(text: string): string | null {
  if (!WIRE_DATE.test(text)) return null;
  const [dd, mm, yyyy] = text.split('/') as [string, string, string];
  const day = Number(dd);
  const month = Number(mm);
  const year = Number(yyyy);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return `${yyyy}-${mm}-${dd}`;
}

/** '2025-04-07' -> '07/04/2025'. */
export function isoToWireDate(iso: string): string {
  const [yyyy, mm, dd] = iso.split('-');
  return `${dd}/${mm}/${yyyy}`;
}
