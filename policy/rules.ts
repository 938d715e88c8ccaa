import type { Person } from '../domain/person';
import type { AttributeMatcher, Condition, Grant, Grants, GroupMatcher } from './config';

/** Evaluation of rule conditions and grant lists: pure, no zod at run time (types only). */

const fold = (value: string) => value.toLowerCase();

export interface GrantEntry {
  grant: Grant;
  /** Path below the rule, as written: "grant" for a single grant, "grant[1]" in a list. */
  path: (string | number)[];
}

export function grantEntries(grants: Grants): GrantEntry[] {
  return Array.isArray(grants) ? grants.map((grant, i) => ({ grant, path: ['grant', i] })) : [{ grant: grants, path: ['grant'] }];
}

function matchValues(values: string[], matcher: AttributeMatcher): boolean {
  const folded = values.map(fold);
  if (typeof matcher === 'string') return folded.includes(fold(matcher));
  if (Array.isArray(matcher)) return matcher.some((m) => folded.includes(fold(m)));
  if (matcher.present !== undefined && (values.length > 0) !== matcher.present) return false;
  if (matcher.anyOf && !matcher.anyOf.some((m) => folded.includes(fold(m)))) return false;
  if (matcher.noneOf && matcher.noneOf.some((m) => folded.includes(fold(m)))) return false;
  if (matcher.contains && !folded.some((v) => v.includes(fold(matcher.contains!)))) return false;
  if (matcher.startsWith && !folded.some((v) => v.startsWith(fold(matcher.startsWith!)))) return false;
  return true;
}

function matchGroups(groups: ReadonlySet<string>, matcher: GroupMatcher): boolean {
  const has = (g: string) => groups.has(fold(g));
  if (Array.isArray(matcher)) return matcher.some(has);
  if (matcher.anyOf && !matcher.anyOf.some(has)) return false;
  if (matcher.allOf && !matcher.allOf.every(has)) return false;
  if (matcher.noneOf && matcher.noneOf.some(has)) return false;
  return true;
}

function present(value: string | undefined): string[] {
  return value === undefined || value === '' ? [] : [value];
}

/** A person prepared once for many rule evaluations (case-folded groups, effective employee type). */
export interface PersonFacts {
  person: Person;
  groups: ReadonlySet<string>;
  employeeType: string;
}

export function personFacts(person: Person, employeeTypeWhenMissing: string): PersonFacts {
  return {
    person,
    groups: new Set((person.groups ?? []).map(fold)),
    employeeType: person.employeeType || employeeTypeWhenMissing,
  };
}

/** True when every condition given holds; an absent condition holds for everyone. */
export function matchesCondition(facts: PersonFacts, condition: Condition | undefined): boolean {
  if (!condition) return true;
  const { person } = facts;
  if (condition.groups && !matchGroups(facts.groups, condition.groups)) return false;
  const single: [AttributeMatcher | undefined, string[]][] = [
    [condition.department, present(person.department)],
    [condition.title, present(person.title)],
    [condition.region, present(person.region)],
    [condition.businessUnit, present(person.businessUnit)],
    [condition.employeeType, [facts.employeeType]],
    [condition.manager, [...present(person.managerAnchor), ...present(person.managerDn)]],
  ];
  for (const [matcher, values] of single) {
    if (matcher !== undefined && !matchValues(values, matcher)) return false;
  }
  for (const [attribute, matcher] of Object.entries(condition.extra ?? {})) {
    const raw = Object.prototype.hasOwnProperty.call(person.extra ?? {}, attribute) ? person.extra[attribute] : undefined;
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string' && v !== '');
    if (!matchValues(values, matcher)) return false;
  }
  return true;
}
