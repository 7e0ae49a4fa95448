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

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

const realDay = (year: number, month: number, day: number) =>
  year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);

/** '2025-04-07' is a day; '2025-04-07T09:00:00-07:00' an instant; null for neither (or an impossible one). */
export function parseDayOrInstant(text: string): { isoDate: string } | { instant: string } | null {
  const day = ISO_DAY.exec(text);
  if (day) return realDay(Number(day[1]), Number(day[2]), Number(day[3])) ? { isoDate: text } : null;
  const instant = ISO_INSTANT.exec(text);
  if (!instant) return null;
  const [, y, mo, d, h, mi, s = '0', oh = '0', om = '0'] = instant as unknown as string[];
  const ok = realDay(Number(y), Number(mo), Number(d)) && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60
    && Number(oh) <= 14 && Number(om) < 60;
  return ok ? { instant: text } : null;
}
