import type { Person } from '../domain/person';
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

/** A disabled rule with its attribute and values lower-cased once, not once per person. */
interface CompiledRule {
  rule: DisabledRule;
  attribute: string;
  wanted: Set<string>;
  bitmask: bigint | null;
}

function compileRule(rule: DisabledRule): CompiledRule {
  return {
    rule,
    attribute: rule.attribute.toLowerCase(),
    wanted: new Set((rule.values ?? []).map((v) => v.toLowerCase())),
    bitmask: rule.bitmask !== undefined ? BigInt(rule.bitmask) : null,
  };
}

function ruleMatches(compiled: CompiledRule, bag: AttributeBag, now: number): boolean {
  const values = bag.get(compiled.attribute) ?? [];
  if (values.length === 0) return false;
  const { rule } = compiled;
  if (rule.present) return true;
  if (compiled.bitmask !== null) {
    const mask = compiled.bitmask;
    return values.some((v) => /^-?\d+$/.test(v) && (BigInt(v) & mask) !== 0n);
  }
  if (rule.expired) {
    const iso = toIsoDate(values[0]);
    return iso !== undefined && Date.parse(iso) <= now;
  }
  return values.some((v) => compiled.wanted.has(v.toLowerCase()));
}

export interface PersonIds {
  anchor: string;
  dn: string;
  /**
   * Used only when the username attribute is missing; a function of the DN so a full scan neither
   * computes it for everyone nor creates a closure per person.
   */
  fallbackUsername: string | ((dn: string) => string);
}

/**
 * Turns attribute bags into Persons for one mapping. Everything that depends only on the mapping
 * (lower-cased names, rule values) is worked out once: a full scan maps every person in the directory.
 */
export class PersonMapper {
  private readonly username: string;
  private readonly fields: { field: Exclude<MappedField, 'username'>; attribute: string; isDate: boolean }[] = [];
  private readonly manager: string | undefined;
  private readonly extra: { name: string; attribute: string }[];
  private readonly rules: CompiledRule[];

  constructor(mapping: ResolvedMapping, disabledRules: DisabledRule[]) {
    this.username = mapping.username.toLowerCase();
    for (const field of MAPPED_FIELDS) {
      const attribute = mapping[field];
      if (field === 'username' || !attribute) continue;
      this.fields.push({ field, attribute: attribute.toLowerCase(), isDate: field === 'startDate' || field === 'endDate' });
    }
    this.manager = mapping.manager?.toLowerCase();
    this.extra = mapping.extra.map((name) => ({ name, attribute: name.toLowerCase() }));
    this.rules = disabledRules.map(compileRule);
  }

  map(bag: AttributeBag, ids: PersonIds): Person {
    const now = this.rules.length > 0 ? Date.now() : 0;
    const username = bag.get(this.username)?.[0];
    const person: Person = {
      anchor: ids.anchor,
      dn: ids.dn,
      username: username ?? (typeof ids.fallbackUsername === 'function' ? ids.fallbackUsername(ids.dn) : ids.fallbackUsername),
      enabled: !this.rules.some((rule) => ruleMatches(rule, bag, now)),
      groups: [],
      extra: {},
    };
    for (const { field, attribute, isDate } of this.fields) {
      const value = bag.get(attribute)?.[0];
      if (value === undefined || value === '') continue;
      const mapped = isDate ? toIsoDate(value) : value;
      if (mapped !== undefined) person[field] = mapped;
    }
    const managerDn = this.manager ? bag.get(this.manager)?.[0] : undefined;
    if (managerDn) person.managerDn = managerDn;
    for (const { name, attribute } of this.extra) {
      const values = bag.get(attribute);
      if (!values || values.length === 0) continue;
      person.extra[name] = values.length === 1 ? values[0]! : [...values];
    }
    return person;
  }
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
