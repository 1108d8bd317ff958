import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../security/access-token.guard';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether `Authorization` carries METRICS_TOKEN as a bearer token. The digests are compared, in constant
 * time and at a constant length: neither the token's characters nor its length show in the timing.
 */
export function carriesMetricsToken(authorization: string | undefined, token: string): boolean {
  const given = bearerToken(authorization);
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}
