/**
 * The filters idsync answers (RFC 7644 §3.4.2.2, the subset identity providers use): `attr eq value`
 * comparisons joined by `and`. Identity providers look people up with `userName eq`, `externalId eq`
 * and groups with `displayName eq`; anything else is 400 invalidFilter rather than a silently wrong list.
 * The same grammar selects elements in PATCH value paths (`members[value eq "id"]`).
 */
import { invalidFilter } from './errors';
import { isObject, quoteName, type Json } from './validate';

export interface Comparison {
  /** Lower-cased, URN prefix removed: "username", "emails.value". */
  path: string;
  value: string | number | boolean | null;
}

const URN_PREFIX = /^urn:ietf:params:scim:schemas:(?:core:2\.0:(?:user|group)|extension:enterprise:2\.0:user):/i;

function tokens(text: string): string[] {
  const out: string[] = [];
  const pattern = /\s*("(?:[^"\\]|\\.)*"|[^\s"]+)/y;
  let position = 0;
  while (position < text.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (!match) {
      if (text.slice(position).trim() === '') break;
      throw invalidFilter('malformed filter (an unterminated string?)');
    }
    out.push(match[1]!);
    position = pattern.lastIndex;
  }
  return out;
}

function literal(token: string): Comparison['value'] {
  if (token.startsWith('"')) {
    try {
      return JSON.parse(token) as string;
    } catch {
      throw invalidFilter('malformed string literal');
    }
  }
  if (token === 'true' || token === 'false') return token === 'true';
  if (token === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  throw invalidFilter('a comparison value must be a quoted string, a number, true, false or null');
}

/**
 * Parses `a eq "x" and b eq "y"`. `allowed` lists the lower-cased paths that may be compared;
 * undefined allows any (value paths, checked against the element's own attributes by the caller).
 */
export function parseFilter(text: string, allowed?: readonly string[]): Comparison[] {
  const parts = tokens(text.trim());
  if (parts.length === 0) throw invalidFilter('empty filter');
  const comparisons: Comparison[] = [];
  for (let i = 0; i < parts.length; i += 4) {
    const [attribute, op, value, joiner] = [parts[i]!, parts[i + 1], parts[i + 2], parts[i + 3]];
    if (op === undefined || value === undefined) throw invalidFilter('incomplete comparison; expected: attribute eq "value"');
    if (op.toLowerCase() !== 'eq') throw invalidFilter(`operator ${quoteName(op)} is not supported; only eq (joined by and)`);
    if (joiner !== undefined && joiner.toLowerCase() !== 'and') throw invalidFilter(`${quoteName(joiner)} is not supported; comparisons may only be joined by and`);
    if (joiner !== undefined && i + 4 >= parts.length) throw invalidFilter('a filter cannot end with and');
    if (!/^[A-Za-z$][\w$.:-]*$/.test(attribute)) throw invalidFilter(`${quoteName(attribute)} is not an attribute path`);
    const path = attribute.replace(URN_PREFIX, '').toLowerCase();
    if (allowed && !allowed.includes(path)) throw invalidFilter(`filtering on ${quoteName(attribute)} is not supported; supported: ${allowed.join(', ')}`);
    comparisons.push({ path, value: literal(value) });
  }
  return comparisons;
}

function valuesAt(resource: Json, path: string): unknown[] {
  let current: unknown[] = [resource];
  for (const segment of path.split('.')) {
    const next: unknown[] = [];
    for (const item of current) {
      if (!isObject(item)) continue;
      const key = Object.keys(item).find((k) => k.toLowerCase() === segment);
      const value = key === undefined ? undefined : item[key];
      if (Array.isArray(value)) next.push(...value);
      else if (value !== undefined) next.push(value);
    }
    current = next;
  }
  // "emails eq x" compares the elements' value sub-attribute (RFC 7644 §3.4.2.2).
  return current.map((v) => (isObject(v) && 'value' in v ? v.value : v));
}

/** Whether every comparison holds; strings compare case-insensitively unless the path is case-exact. */
export function matches(resource: Json, comparisons: Comparison[], caseExact: (path: string) => boolean = () => false): boolean {
  return comparisons.every(({ path, value }) =>
    valuesAt(resource, path).some((actual) => {
      if (typeof actual === 'string' && typeof value === 'string') return caseExact(path) ? actual === value : actual.toLowerCase() === value.toLowerCase();
      return actual === value;
    }),
  );
}

export const USER_FILTER_PATHS = ['id', 'username', 'externalid', 'displayname', 'emails', 'emails.value', 'active'] as const;
export const GROUP_FILTER_PATHS = ['id', 'displayname', 'externalid', 'members', 'members.value'] as const;
const CASE_EXACT = new Set(['id', 'externalid', 'members', 'members.value', 'value']);
export const isCaseExact = (path: string) => CASE_EXACT.has(path);
