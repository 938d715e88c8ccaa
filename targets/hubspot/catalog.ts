import type { HubspotUsersApi } from './client';

/**
 * Role and team names <-> ids. Policy speaks names, HubSpot speaks numeric ids. The catalog is read
 * once and cached for a minute per adapter, so an ensure costs its user reads and writes only (the
 * bench's request budget depends on that); a name or id not in the cache forces one refresh before
 * idsync calls it unknown, so a role created a moment ago is still found.
 */
export interface CatalogEntry {
  id: string;
  name: string;
}

export class CatalogSnapshot {
  constructor(
    readonly roles: readonly CatalogEntry[],
    readonly teams: readonly CatalogEntry[],
  ) {}

  roleId(name: string): string | undefined {
    return idByName(this.roles, name);
  }

  teamId(name: string): string | undefined {
    return idByName(this.teams, name);
  }

  roleName(id: string): string | undefined {
    return this.roles.find((r) => r.id === id)?.name;
  }

  teamName(id: string): string | undefined {
    return this.teams.find((t) => t.id === id)?.name;
  }
}

/** Exact name first; a different-case match only when it is the only one. */
function idByName(entries: readonly CatalogEntry[], name: string): string | undefined {
  const exact = entries.find((e) => e.name === name);
  if (exact) return exact.id;
  const folded = entries.filter((e) => e.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0]!.id : undefined;
}

export const CATALOG_TTL_MS = 60_000;

export class HubspotCatalog {
  private cached?: { snapshot: CatalogSnapshot; at: number };
  private loading?: Promise<CatalogSnapshot>;

  constructor(
    private readonly api: HubspotUsersApi,
    /** Wraps each SDK call so failures are classified by the adapter. */
    private readonly call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>,
    private readonly ttlMs = CATALOG_TTL_MS,
  ) {}

  async get(): Promise<CatalogSnapshot> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.snapshot;
    return this.refresh();
  }

  /** Concurrent activities share one in-flight load instead of each spending two requests. */
  async refresh(): Promise<CatalogSnapshot> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** The snapshot, refreshed once if `knows` is false for it (a just-created role or team). */
  async knowing(knows: (snapshot: CatalogSnapshot) => boolean): Promise<CatalogSnapshot> {
    const snapshot = await this.get();
    return knows(snapshot) ? snapshot : this.refresh();
  }

  private async load(): Promise<CatalogSnapshot> {
    const [roles, teams] = await Promise.all([
      this.call('list roles', () => this.api.rolesApi.getAll()),
      this.call('list teams', () => this.api.teamsApi.getAll()),
    ]);
    const snapshot = new CatalogSnapshot(
      roles.results.map((r) => ({ id: r.id, name: r.name })),
      teams.results.map((t) => ({ id: t.id, name: t.name })),
    );
    this.cached = { snapshot, at: Date.now() };
    return snapshot;
  }
}
