import type { Person } from '../domain/person';
import { readPersonField } from './template';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
/** LDAP GeneralizedTime as OpenLDAP and AD store it in raw attributes: 20261201000000Z. */
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/;

export type DateRead = { ok: true; at?: number; text?: string } | { ok: false; text: string };

/** Date.parse rolls 2026-02-30 over into March; a lifecycle date that does not exist is a data error. */
function isCalendarDate(year: string, month: string, day: string): boolean {
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * Reads a lifecycle date from the person. Date-only values are UTC days: a start date begins at
 * 00:00Z of that day; a leave date is the last working day, so access ends at 00:00Z of the next day.
 * Timestamps (ISO or LDAP GeneralizedTime) need an explicit offset, so the result never depends on
 * the machine's time zone.
 */
export function readLifecycleDate(person: Person, field: string, edge: 'start' | 'end'): DateRead {
  const text = readPersonField(person, field)?.trim();
  if (!text) return { ok: true };
  const dateOnly = DATE_ONLY.exec(text);
  if (dateOnly) {
    if (!isCalendarDate(dateOnly[1]!, dateOnly[2]!, dateOnly[3]!)) return { ok: false, text };
    const at = Date.UTC(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3]) + (edge === 'end' ? 1 : 0));
    return { ok: true, at, text };
  }
  const generalized = GENERALIZED_TIME.exec(text);
  const iso = generalized ? `${generalized[1]}-${generalized[2]}-${generalized[3]}T${generalized[4]}:${generalized[5]}:${generalized[6]}Z` : text;
  const timestamp = TIMESTAMP.exec(iso);
  if (timestamp && isCalendarDate(timestamp[1]!, timestamp[2]!, timestamp[3]!)) {
    const at = Date.parse(iso);
    if (!Number.isNaN(at)) return { ok: true, at, text };
  }
  return { ok: false, text };
}
