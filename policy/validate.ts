import type { Grant, Grants, PolicyConfig } from './config';
import { compileTemplate, templateMapNames, TemplateError } from './template';
import { grantEntries } from './rules';

type PolicyShape = Pick<PolicyConfig, 'maps' | 'targets'> & { normalize?: { id: string; map?: Record<string, string | undefined> }[] };

export interface PolicyProblem {
  path: (string | number)[];
  message: string;
}

function templatesOf(policy: PolicyShape): { path: (string | number)[]; text: string }[] {
  const found: { path: (string | number)[]; text: string }[] = [];
  for (const [target, tp] of Object.entries(policy.targets)) {
    for (const [field, text] of Object.entries(tp.account ?? {})) {
      if (typeof text === 'string') found.push({ path: ['targets', target, 'account', field], text });
    }
    for (const [name, spec] of Object.entries(tp.attributes ?? {})) {
      if (typeof spec === 'string') found.push({ path: ['targets', target, 'attributes', name], text: spec });
      else if (spec && typeof spec === 'object') found.push({ path: ['targets', target, 'attributes', name, 'template'], text: spec.template });
    }
  }
  return found;
}

/**
 * Checks inside the policy that the schema's shape checks cannot express: rule ids unique (audit and
 * plans name rules by id) and every `map:<name>` filter naming a table in `maps`. Paths are relative to `policy`.
 */
export function policyProblems(policy: PolicyShape): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const seen = new Map<string, string>();
  const claim = (id: string, path: (string | number)[]) => {
    const where = joinPath(path);
    const first = seen.get(id);
    if (first) problems.push({ path: [...path, 'id'], message: `rule id "${id}" is already used at policy.${first}; rule ids must be unique` });
    else seen.set(id, where);
  };
  for (const [target, tp] of Object.entries(policy.targets)) {
    tp.scope.forEach((r, i) => claim(r.id, ['targets', target, 'scope', i]));
    (tp.exclude ?? []).forEach((r, i) => claim(r.id, ['targets', target, 'exclude', i]));
    if (tp.birthright) claim(tp.birthright.id, ['targets', target, 'birthright']);
    (tp.rules ?? []).forEach((r, i) => claim(r.id, ['targets', target, 'rules', i]));
  }
  const maps = Object.keys(policy.maps ?? {});
  (policy.normalize ?? []).forEach((section, i) => {
    claim(section.id, ['normalize', i]);
    for (const [field, name] of Object.entries(section.map ?? {})) {
      if (name !== undefined && !maps.includes(name)) {
        problems.push({ path: ['normalize', i, 'map', field], message: `map "${name}" is not defined under policy.maps${maps.length ? ` (defined: ${maps.join(', ')})` : ''}` });
      }
    }
  });
  for (const { path, text } of templatesOf(policy)) {
    let names: string[];
    try {
      names = templateMapNames(compileTemplate(text));
    } catch (err) {
      if (err instanceof TemplateError) continue; // reported by the field's own schema
      throw err;
    }
    for (const name of names) {
      if (!maps.includes(name)) {
        problems.push({ path, message: `map "${name}" is not defined under policy.maps${maps.length ? ` (defined: ${maps.join(', ')})` : ''}` });
      }
    }
  }
  return problems;
}

/** Every grant of a target's policy (birthright, then rules) with its path below `policy`. */
function grantsWithPaths(target: string, tp: PolicyConfig['targets'][string]): { grant: Grant; path: (string | number)[] }[] {
  const sources: { path: (string | number)[]; grants: Grants }[] = [];
  if (tp.birthright) sources.push({ path: ['targets', target, 'birthright'], grants: tp.birthright.grant });
  (tp.rules ?? []).forEach((rule, i) => sources.push({ path: ['targets', target, 'rules', i], grants: rule.grant }));
  return sources.flatMap((source) => grantEntries(source.grants).map(({ grant, path }) => ({ grant, path: [...source.path, ...path] })));
}

function joinPath(path: (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1);
}

/**
 * Cross-checks the policy against the configured targets: every policy target must exist, every
 * configured target must have a policy (an absent section would silently deprovision everyone), and
 * every granted kind must be one the target's kind supports. Returns "policy.<path>: message" lines.
 */
export function validatePolicyAgainstTargets(
  policy: Pick<PolicyConfig, 'targets' | 'lifecycle'>,
  targets: Record<string, { kind: string }>,
  entitlementKinds: Record<string, readonly string[]>,
): string[] {
  const problems: string[] = [];
  const configured = Object.keys(targets).sort();
  const say = (path: (string | number)[], message: string) => problems.push(`${joinPath(['policy', ...path])}: ${message}`);
  for (const name of Object.keys(policy.targets).sort()) {
    if (!targets[name]) say(['targets', name], `no target named "${name}" under targets: (configured: ${configured.join(', ') || 'none'})`);
  }
  for (const name of configured) {
    if (!policy.targets[name]) {
      say(['targets'], `target "${name}" has no policy; add policy.targets.${name} (scope: [] provisions nobody)`);
    }
  }
  for (const name of Object.keys(policy.lifecycle?.gracePeriod ?? {}).sort()) {
    if (!targets[name]) say(['lifecycle', 'gracePeriod', name], `no target named "${name}" under targets: (configured: ${configured.join(', ') || 'none'})`);
  }
  for (const [name, tp] of Object.entries(policy.targets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const target = targets[name];
    if (!target) continue;
    const supported = entitlementKinds[target.kind];
    for (const { grant, path } of grantsWithPaths(name, tp)) {
      if (!supported) {
        say([...path, 'kind'], `target "${name}" has kind "${target.kind}", which declares no entitlement kinds`);
      } else if (!supported.includes(grant.kind)) {
        say([...path, 'kind'], `"${grant.kind}" is not an entitlement kind of target "${name}" (kind ${target.kind}); use one of: ${supported.join(', ')}`);
      }
    }
  }
  return problems;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The catalog entry the policy most likely meant: same name in another case, or a near typo. */
function closest(name: string, offered: readonly string[]): string | undefined {
  const folded = name.toLowerCase();
  const sameCase = offered.find((o) => o.toLowerCase() === folded);
  if (sameCase) return sameCase;
  const ranked = offered.map((o) => ({ o, d: editDistance(folded, o.toLowerCase()) })).sort((x, y) => x.d - y.d || (x.o < y.o ? -1 : 1));
  return ranked[0] && ranked[0].d <= Math.max(2, Math.floor(name.length / 5)) ? ranked[0].o : undefined;
}

/**
 * Checks one target's granted entitlement names against what the target offers (adapter.listCatalog()),
 * so a typo in a role name fails `idsync check` instead of every joiner's workflow. Names compare exactly:
 * targets look them up exactly. Kinds absent from the catalog are not checked.
 */
export function validatePolicyAgainstCatalog(
  policy: Pick<PolicyConfig, 'targets'>,
  target: string,
  catalog: Readonly<Record<string, readonly string[]>>,
): string[] {
  const tp = policy.targets[target];
  if (!tp) return [];
  const problems: string[] = [];
  for (const { grant, path } of grantsWithPaths(target, tp)) {
    const offered = catalog[grant.kind];
    if (!offered || offered.includes(grant.name)) continue;
    const hint = closest(grant.name, offered);
    problems.push(`${joinPath(['policy', ...path, 'name'])}: ${target} has no ${grant.kind} "${grant.name}"${hint ? `; did you mean "${hint}"?` : ''}`);
  }
  return problems;
}
