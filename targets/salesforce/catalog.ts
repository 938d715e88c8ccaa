import type { Connection } from 'jsforce';
import { queryAll, withoutTerritoryManagement } from './read';
import { SALESFORCE_ENTITLEMENT_KINDS as ENTITLEMENT_KINDS } from './description';

/**
 * Names → ids of what the org offers: profiles, roles, permission sets, permission-set licenses and
 * public groups. Cached for a few minutes and reloaded once on a miss, so something an admin just
 * created is found without a restart while hot paths cost no extra queries.
 */
export { SALESFORCE_ENTITLEMENT_KINDS as ENTITLEMENT_KINDS } from './description';
export type EntitlementKind = (typeof ENTITLEMENT_KINDS)[number];

export interface CatalogEntry {
  id: string;
  /** The name AccountState reports and policy normally uses. */
  name: string;
  /** Other names that identify it (DeveloperName, Label), lower-cased. */
  aliases: string[];
  developerName?: string;
}

type CatalogData = Record<EntitlementKind, CatalogEntry[]>;

const MAX_AGE_MS = 5 * 60 * 1000;

async function loadCatalog(conn: Connection): Promise<CatalogData> {
  const [profiles, roles, permissionSets, licenses, groups, territories] = await Promise.all([
    queryAll<{ Id: string; Name: string }>(conn, 'SELECT Id, Name FROM Profile'),
    queryAll<{ Id: string; Name: string; DeveloperName: string }>(conn, 'SELECT Id, Name, DeveloperName FROM UserRole'),
    queryAll<{ Id: string; Name: string; Label: string }>(conn, 'SELECT Id, Name, Label FROM PermissionSet WHERE IsOwnedByProfile = false'),
    queryAll<{ Id: string; DeveloperName: string; MasterLabel: string }>(conn, 'SELECT Id, DeveloperName, MasterLabel FROM PermissionSetLicense'),
    queryAll<{ Id: string; Name: string; DeveloperName: string }>(conn, "SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Regular'"),
    // Territories of the active model, by DeveloperName (stable across models); the label is an alias.
    withoutTerritoryManagement(queryAll<{ Id: string; Name: string; DeveloperName: string }>(conn, "SELECT Id, Name, DeveloperName FROM Territory2 WHERE Territory2Model.State = 'Active'")),
  ]);
  return {
    profile: profiles.map((p) => ({ id: p.Id, name: p.Name, aliases: [] })),
    role: roles.map((r) => ({ id: r.Id, name: r.Name, aliases: [r.DeveloperName.toLowerCase()], developerName: r.DeveloperName })),
    permissionSet: permissionSets.map((p) => ({ id: p.Id, name: p.Name, aliases: [p.Label.toLowerCase()] })),
    permissionSetLicense: licenses.map((l) => ({ id: l.Id, name: l.MasterLabel, aliases: [l.DeveloperName.toLowerCase()], developerName: l.DeveloperName })),
    publicGroup: groups.map((g) => ({ id: g.Id, name: g.Name, aliases: [g.DeveloperName.toLowerCase()], developerName: g.DeveloperName })),
    territory: territories.map((t) => ({ id: t.Id, name: t.DeveloperName, aliases: [t.Name.toLowerCase()], developerName: t.DeveloperName })),
  };
}

export class SalesforceCatalog {
  private data?: CatalogData;
  private loadedAt = 0;

  constructor(private readonly connection: () => Promise<Connection>) {}

  async all(): Promise<CatalogData> {
    if (!this.data || Date.now() - this.loadedAt > MAX_AGE_MS) await this.reload();
    return this.data!;
  }

  async reload(): Promise<void> {
    this.data = await loadCatalog(await this.connection());
    this.loadedAt = Date.now();
  }

  invalidate(): void {
    this.data = undefined;
  }

  /** Exact name first, then aliases, case-insensitively; reloads once before giving up. */
  async resolve(kind: EntitlementKind, name: string): Promise<CatalogEntry | undefined> {
    const find = (data: CatalogData) => {
      const lower = name.toLowerCase();
      const entries = data[kind];
      return entries.find((e) => e.name === name) ?? entries.find((e) => e.name.toLowerCase() === lower) ?? entries.find((e) => e.aliases.includes(lower));
    };
    const hit = find(await this.all());
    if (hit) return hit;
    await this.reload();
    return find(this.data!);
  }

  async names(): Promise<Record<string, string[]>> {
    const data = await this.all();
    return Object.fromEntries(ENTITLEMENT_KINDS.map((k) => [k, data[k].map((e) => e.name).sort()]));
  }
}
