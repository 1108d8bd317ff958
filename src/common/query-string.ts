import { parse } from 'node:querystring';

/** `name[]` (axios, PHP, jQuery) and `name[0]` (qs with indices) are spellings of a repeated `name`. */
const BRACKETED = /^([^[\]]+)\[(\d{0,4})\]$/;

/**
 * Fastify's query string parser, with arrays however clients send them: `a=x&a=y`, `a[]=x&a[]=y` and
 * `a[0]=x&a[1]=y` all give `{a: ['x', 'y']}`; `a[]=x` alone gives `{a: ['x']}`. Other keys are kept as they
 * are, for validation to refuse the unknown ones.
 */
export function parseQueryString(text: string): Record<string, string | string[]> {
  // The router asks for every request, most of which have no query at all.
  if (text.length === 0) return Object.create(null) as Record<string, string>;
  const parsed = parse(text);
  // Without a bracket, literal or escaped, no key needs rewriting: Node's own result (null prototype, repeated
  // keys as arrays) is the answer. Most requests take this way.
  if (!text.includes('[') && !/%5b/i.test(text)) return parsed as Record<string, string | string[]>;
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    const bracketed = BRACKETED.exec(key);
    if (!bracketed) {
      query[key] = Object.hasOwn(query, key) ? ([] as string[]).concat(query[key], value) : value;
      continue;
    }
    const name = bracketed[1];
    query[name] = ([] as string[]).concat(Object.hasOwn(query, name) ? query[name] : [], value);
  }
  return query;
}
