import type { Person } from '../lib/person';
import type { AttributeMapping, DisabledRule } from './config';

/** Attribute values after normalisation: lower-cased attribute names, always arrays of strings. */
export type AttributeBag = Map<string, string[]>;

/** Every Person field a directory attribute can feed; anchor and manager are resolved separately. */
export const MAPPED_FIELDS = [
  'username', 'email', 'givenName', 'familyName', 'displayName', 'employeeId', 'employeeType',
  'department', 'title', 'region', 'businessUnit', 'startDate', 'endDate',
] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

export type ResolvedMapping = Required<Omit<AttributeMapping, MappedField | 'manager'>> &
  Partial<Record<MappedField | 'manager', string>> & { username: string };

export function first(bag: AttributeBag, attribute: string | undefined): string | undefined {
  if (!attribute) return undefined;
  const values = bag.get(attribute.toLowerCase());
  return values && values.length > 0 ? values[0] : undefined;
}

// AD FILETIME: 100 ns ticks since 1601-01-01; 0 and 2^63-1 both mean "never".
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000;
const FILETIME_NEVER = '9223372036854775807';

/** GeneralizedTime, AD FILETIME or ISO text -> ISO timestamp; undefined for "never"/unparseable. */
export function toIsoDate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const text = raw.trim();
  if (/^\d{14}(\.\d+)?Z$/.test(text)) {
    const iso = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(8, 10)}:${text.slice(10, 12)}:${text.slice(12, 14)}Z`;
    return Number.isNaN(Date.parse(iso)) ? undefined : iso;
  }
  if (/^\d{15,19}$/.test(text)) {
    if (text === FILETIME_NEVER || /^0+$/.test(text)) return undefined;
    const ms = Number(BigInt(text) / 10_000n) - FILETIME_EPOCH_OFFSET_MS;
    return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
  }
  if (text === '0') return undefined;
  return text;
}

function ruleMatches(rule: DisabledRule, bag: AttributeBag, now: number): boolean {
  const values = bag.get(rule.attribute.toLowerCase()) ?? [];
  if (values.length === 0) return false;
  if (rule.present) return true;
  if (rule.bitmask !== undefined) {
    return values.some((v) => /^-?\d+$/.test(v) && (BigInt(v) & BigInt(rule.bitmask!)) !== 0n);
  }
  if (rule.expired) {
    const iso = toIsoDate(values[0]);
    return iso !== undefined && Date.parse(iso) <= now;
  }
  const wanted = (rule.values ?? []).map((v) => v.toLowerCase());
  return values.some((v) => wanted.includes(v.toLowerCase()));
}

export function isDisabled(rules: DisabledRule[], bag: AttributeBag, now = Date.now()): boolean {
  return rules.some((rule) => ruleMatches(rule, bag, now));
}

/** Person fields that come straight from attributes (no groups, no manager anchor yet). */
export function personFromBag(
  bag: AttributeBag,
  ids: { anchor: string; dn: string; fallbackUsername: string },
  mapping: ResolvedMapping,
  disabledRules: DisabledRule[],
): Person {
  const person: Person = {
    anchor: ids.anchor,
    dn: ids.dn,
    username: first(bag, mapping.username) ?? ids.fallbackUsername,
    enabled: !isDisabled(disabledRules, bag),
    groups: [],
    extra: {},
  };
  for (const field of MAPPED_FIELDS) {
    if (field === 'username') continue;
    const value = first(bag, mapping[field]);
    if (value === undefined || value === '') continue;
    person[field] = field === 'startDate' || field === 'endDate' ? toIsoDate(value) : value;
    if (person[field] === undefined) delete person[field];
  }
  const managerDn = first(bag, mapping.manager);
  if (managerDn) person.managerDn = managerDn;
  for (const attribute of mapping.extra) {
    const values = bag.get(attribute.toLowerCase());
    if (!values || values.length === 0) continue;
    person.extra[attribute] = values.length === 1 ? values[0]! : [...values];
  }
  return person;
}

/** Attribute names a mapping needs from the directory (deduplicated, original spelling). */
export function mappedAttributeNames(mapping: ResolvedMapping, rules: DisabledRule[]): string[] {
  const names = [
    ...MAPPED_FIELDS.map((f) => mapping[f]),
    mapping.manager,
    ...mapping.extra,
    ...rules.map((r) => r.attribute),
  ].filter((n): n is string => typeof n === 'string' && n.length > 0);
  const seen = new Set<string>();
  return names.filter((n) => (seen.has(n.toLowerCase()) ? false : (seen.add(n.toLowerCase()), true)));
}
