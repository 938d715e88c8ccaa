import type { Person } from '../lib/person';
import { readPersonField } from './template';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export type DateRead = { ok: true; at?: number; text?: string } | { ok: false; text: string };

/**
 * Reads a lifecycle date from the person. Date-only values are UTC days: a start date begins at
 * 00:00Z of that day; a leave date is the last working day, so access ends at 00:00Z of the next day.
 * Timestamps need an explicit offset, so the result never depends on the machine's time zone.
 */
export function readLifecycleDate(person: Person, field: string, edge: 'start' | 'end'): DateRead {
  const text = readPersonField(person, field)?.trim();
  if (!text) return { ok: true };
  const dateOnly = DATE_ONLY.exec(text);
  if (dateOnly) {
    const [y, m, d] = [Number(dateOnly[1]), Number(dateOnly[2]), Number(dateOnly[3])];
    const at = Date.UTC(y, m - 1, d + (edge === 'end' ? 1 : 0));
    const check = new Date(Date.UTC(y, m - 1, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return { ok: false, text };
    return { ok: true, at, text };
  }
  if (TIMESTAMP.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return { ok: true, at, text };
  }
  return { ok: false, text };
}
