/** Deeper JSON is refused: class-transformer and class-validator recurse once per level and overflow the stack. */
const MAX_BODY_DEPTH = 64;

/** True when objects and arrays nest more than `limit` levels deep (`{}` and `[]` are one level). */
export function nestsDeeperThan(value: unknown, limit = MAX_BODY_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeperThan(item, limit - 1)) return true;
    return false;
  }
  for (const key in value) if (nestsDeeperThan((value as Record<string, unknown>)[key], limit - 1)) return true;
  return false;
}
