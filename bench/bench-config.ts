/**
 * What every product-path bench's idsync configuration shares, defined once: the slapd directory
 * section and the demo configuration's target budgets (so a bench measures the product's own
 * settings, not numbers of its own).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PROJECT_ROOT, type LocalSlapd } from '../scripts/local-services';

/** The environment variable every bench passes slapd's root password in. */
export const BENCH_LDAP_PASSWORD_ENV = 'BENCH_LDAP_PASSWORD';

export interface RateLimitSetting {
  activitiesPerSecond: number;
  maxConcurrent: number;
}

/** The directory section for a bench's slapd (OpenLDAP preset, pages of 1,000); groups only when the bench has them. */
export function benchDirectory(slapd: LocalSlapd, bases: { people: string; groups?: string }) {
  return {
    kind: 'ldap',
    url: slapd.url,
    preset: 'openldap',
    bindDn: slapd.bindDn,
    bindPasswordEnv: BENCH_LDAP_PASSWORD_ENV,
    people: { baseDn: bases.people },
    ...(bases.groups ? { groups: { baseDn: bases.groups } } : {}),
    pageSize: 1000,
  } as const;
}

/** A target's budget as `npm start` runs it (config/demo.yaml); 10 activities/s, 4 at a time where the demo sets none. */
export function demoRateLimit(target: string): RateLimitSetting {
  const demo = parseYaml(readFileSync(join(PROJECT_ROOT, 'config', 'demo.yaml'), 'utf8')) as { targets: Record<string, { rateLimit?: RateLimitSetting }> };
  return demo.targets[target]!.rateLimit ?? { activitiesPerSecond: 10, maxConcurrent: 4 };
}
