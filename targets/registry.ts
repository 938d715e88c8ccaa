import type { TargetDefinition, CommonTargetConfig } from './adapter';
import { salesforceTarget } from './salesforce';
import { hubspotTarget } from './hubspot';
import { highspotTarget } from './highspot';
import { scimTarget } from './scim';

/** Every target kind idsync knows. Adding a kind = one folder under targets/ plus one line here. */
export const TARGET_KINDS: Record<string, TargetDefinition<CommonTargetConfig>> = Object.fromEntries(
  [salesforceTarget, hubspotTarget, highspotTarget, scimTarget].map((d) => [d.kind, d as unknown as TargetDefinition<CommonTargetConfig>]),
);

export function targetDefinition(kind: string): TargetDefinition<CommonTargetConfig> {
  const def = TARGET_KINDS[kind];
  if (!def) throw new Error(`unknown target kind "${kind}"; known kinds: ${Object.keys(TARGET_KINDS).join(', ')}`);
  return def;
}
