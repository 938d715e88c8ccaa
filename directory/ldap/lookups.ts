import type { Client, Control, Entry, SearchOptions } from 'ldapts';
import { normalizeDn } from './entry';

/** A paged search collected into one result: servers cap unpaged results (OpenLDAP: 500 for non-root binds). */
export async function pagedSearch(client: Client, base: string, options: SearchOptions, controls?: Control[]): Promise<{ searchEntries: Entry[] }> {
  const searchEntries: Entry[] = [];
  for await (const page of client.searchPaginated(base, options, controls)) searchEntries.push(...page.searchEntries);
  return { searchEntries };
}

/** dn -> anchor for manager links: filled by every entry read, falling back to one base read per unknown manager. */
export class ManagerResolver {
  private readonly anchors = new Map<string, string | null>();
  constructor(private readonly lookup: (dn: string) => Promise<string | null>) {}

  remember(dn: string, anchor: string): void {
    this.anchors.set(normalizeDn(dn), anchor);
  }

  /** undefined: not known yet (resolve() reads it). */
  known(dn: string): string | null | undefined {
    return this.anchors.get(normalizeDn(dn));
  }

  async resolve(dn: string): Promise<string | null> {
    const key = normalizeDn(dn);
    if (this.anchors.has(key)) return this.anchors.get(key)!;
    const anchor = await this.lookup(dn);
    this.anchors.set(key, anchor);
    return anchor;
  }
}
