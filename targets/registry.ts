import type { TargetDefinition, CommonTargetConfig } from './adapter';
import { descriptionProblems, type TargetKindDescription } from '../domain/target-kind';
import { salesforceTarget } from './salesforce';
import { hubspotTarget } from './hubspot';
import { highspotTarget } from './highspot';
import { scimTarget } from './scim';

type AnyTargetDefinition = TargetDefinition<CommonTargetConfig>;
/** A definition for any kind's own config type (TargetDefinition<C> is invariant in C). */
type RegisteredDefinition = Pick<AnyTargetDefinition, 'kind' | 'description'> & { configSchema: unknown; createAdapter: unknown };

/** The target kinds one idsync knows, with each kind's definition and its self-description. */
export interface TargetRegistry {
  /** Known kinds, in registration order. */
  readonly kinds: readonly string[];
  readonly definitions: Readonly<Record<string, AnyTargetDefinition>>;
  /** Plain data, safe to hand to pure policy code (and into workflows). */
  readonly descriptions: Readonly<Record<string, TargetKindDescription>>;
  /** The kind's definition; an unknown kind throws naming the known ones. */
  definition(kind: string): AnyTargetDefinition;
  /** The kind's description; an unknown kind throws naming the known ones, never a fallback. */
  description(kind: string): TargetKindDescription;
}

/**
 * Builds a registry, refusing (at start, not at the first person) a kind registered twice, a
 * definition whose description names another kind, or a description that contradicts itself.
 */
export function targetRegistry(definitions: readonly RegisteredDefinition[]): TargetRegistry {
  const byKind: Record<string, AnyTargetDefinition> = {};
  // Each definition is typed for its own config; config validation parses a block with the schema of its kind first.
  for (const definition of definitions as readonly AnyTargetDefinition[]) {
    const problems = descriptionProblems(definition.description);
    if (definition.description.kind !== definition.kind) problems.push(`target kind "${definition.kind}" carries the description of "${definition.description.kind}"`);
    if (byKind[definition.kind]) problems.push(`target kind "${definition.kind}" is registered twice`);
    if (problems.length > 0) throw new Error(`target registry: ${problems.join('; ')}`);
    byKind[definition.kind] = definition;
  }
  const kinds = Object.keys(byKind);
  const unknown = (kind: string) => new Error(`unknown target kind "${kind}"; known kinds: ${kinds.join(', ')}`);
  return {
    kinds,
    definitions: byKind,
    descriptions: Object.fromEntries(kinds.map((kind) => [kind, byKind[kind]!.description])),
    definition(kind) {
      const found = byKind[kind];
      if (!found) throw unknown(kind);
      return found;
    },
    description(kind) {
      return this.definition(kind).description;
    },
  };
}

/** Every target kind idsync knows. Adding a kind = one folder under targets/ plus one entry here. */
export const TARGET_REGISTRY = targetRegistry([salesforceTarget, hubspotTarget, highspotTarget, scimTarget]);

export const TARGET_KINDS = TARGET_REGISTRY.definitions;

export function targetDefinition(kind: string): AnyTargetDefinition {
  return TARGET_REGISTRY.definition(kind);
}

export function targetDescription(kind: string): TargetKindDescription {
  return TARGET_REGISTRY.description(kind);
}
