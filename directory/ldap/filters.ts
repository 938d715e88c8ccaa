import { AndFilter, FilterParser, type Filter } from 'ldapts';

/**
 * The configured filter text AND idsync's own clauses, as ldapts filter objects sent as they are.
 * Never through text: ldapts parses `\b2` in filter text back into the character U+00B2 and sends
 * it as UTF-8 (c2 b2), so a binary value (an objectGUID) would reach the server as other bytes and
 * match nobody. An EqualityFilter holding a Buffer is written byte for byte.
 */
export function allOf(configured: string, ...clauses: Filter[]): Filter {
  return new AndFilter({ filters: [FilterParser.parseString(configured), ...clauses] });
}
