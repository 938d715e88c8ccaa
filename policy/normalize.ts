/**
 * Multi-business-unit normalisation, before any rule runs: companies merged from several directory
 * structures spell the same department, region or business unit differently (or keep it in the
 * subtree they live in). Each `policy.normalize` section selects people by directory subtree and/or
 * business unit and rewrites the listed fields through tables in `policy.maps` (a value without an
 * entry is kept) and/or sets fixed values. Sections apply in order; a later one sees what earlier
 * ones produced. Pure: Temporal workflow code may call it.
 */
import type { Person } from '../domain/person';
import type { AttributeMatcher } from './config';
import { matchesCondition, personFacts } from './rules';

export const NORMALIZED_FIELDS = ['department', 'title', 'region', 'businessUnit', 'employeeType'] as const;
export type NormalizedField = (typeof NORMALIZED_FIELDS)[number];

export interface NormalizeSection {
  id: string;
  description?: string;
  /** People whose entry is at or below this DN (case- and space-insensitive). */
  subtree?: string;
  /** People whose business unit, as the directory has it (or as an earlier section set it), matches. */
  businessUnit?: AttributeMatcher;
  /** Field -> name of a table in policy.maps. */
  map?: Partial<Record<NormalizedField, string>>;
  /** Field -> fixed value. */
  set?: Partial<Record<NormalizedField, string>>;
}

const normalizeDn = (dn: string) => dn.split(',').map((part) => part.trim().toLowerCase()).join(',');

function isUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}

/** Exact key first, then case-insensitive (the same lookup as the `map:` template filter). */
function lookup(table: Record<string, string>, value: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(table, value)) return table[value];
  const key = Object.keys(table)
    .sort()
    .find((k) => k.toLowerCase() === value.toLowerCase());
  return key === undefined ? undefined : table[key];
}

function selects(section: NormalizeSection, person: Person): boolean {
  if (section.subtree !== undefined && !isUnder(person.dn, section.subtree)) return false;
  if (section.businessUnit !== undefined && !matchesCondition(personFacts(person, ''), { businessUnit: section.businessUnit })) return false;
  return true;
}

/** The person as the rules should see them; the ids of the sections that applied. */
export function normalizePerson(person: Person, sections: readonly NormalizeSection[], maps: Record<string, Record<string, string>>): { person: Person; applied: string[] } {
  let current = person;
  const applied: string[] = [];
  for (const section of sections) {
    if (!selects(section, current)) continue;
    const next: Person = { ...current };
    for (const field of NORMALIZED_FIELDS) {
      const table = section.map?.[field];
      const value = current[field];
      if (table && value !== undefined && value !== '') {
        const mapped = lookup(maps[table] ?? {}, value);
        if (mapped !== undefined) next[field] = mapped;
      }
      const fixed = section.set?.[field];
      if (fixed !== undefined) next[field] = fixed;
    }
    current = next;
    applied.push(section.id);
  }
  return { person: current, applied };
}
