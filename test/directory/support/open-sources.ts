/** Directory sources a test opens against its fixture's config, closed together at the end. */
import { createDirectorySource } from '../../../directory';
import type { LdapDirectoryConfig } from '../../../directory/config';
import type { DirectorySource } from '../../../directory/source';
import type { Person } from '../../../domain/person';

export interface SourceOpener {
  open(overrides?: Partial<LdapDirectoryConfig>): DirectorySource;
  closeAll(): Promise<void>;
}

export function sourceOpener(configOf: (overrides: Partial<LdapDirectoryConfig>) => LdapDirectoryConfig): SourceOpener {
  const sources: DirectorySource[] = [];
  return {
    open(overrides = {}) {
      const source = createDirectorySource(configOf(overrides), process.env);
      sources.push(source);
      return source;
    },
    async closeAll() {
      await Promise.all(sources.splice(0).map((s) => s.close()));
    },
  };
}

/** Everyone a full scan returns, by username. */
export async function everyoneByUsername(source: DirectorySource): Promise<Map<string, Person>> {
  const people = new Map<string, Person>();
  for await (const person of source.listPeople()) people.set(person.username, person);
  return people;
}
