/** Generic checks policy code applies to every target kind (per-kind facts live in targets/<kind>/description.ts). */

/** Deliberately simple: one @, something on each side, a dot in the domain, no spaces. */
export function isPlausibleEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(value) && !value.includes('..');
}
