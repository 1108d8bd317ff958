import { MigrationInterface, QueryRunner } from 'typeorm';

/** Instances' clocks differ a little: entries outlive their tokens by this much (as RevocationService does). */
const CLOCK_LEEWAY_MS = 60_000;
/** The longest MINT_MAX_TTL can be configured to: this migration cannot know the deployment's value. */
const LONGEST_TOKEN_LIFETIME_MS = 366 * 86400_000 + CLOCK_LEEWAY_MS;
const BATCH = 100;

/**
 * Revocation entries used to be kept only as long as an access token lives
 * (ACCESS_TOKEN_TTL + 60 s), though minted and personal tokens live up to
 * MINT_MAX_TTL: after the restart that installs this version, their tokens
 * would be accepted again. No schema change; the rows are made to last:
 * - every ended minted or personal token not yet expired gets an entry until
 *   its own expiry (its session row says when it ended and when it expires),
 *   whether or not the old entry is still in the log;
 * - user-wide entries still in the log last as long as any token can.
 * User-wide entries already removed from the log cannot be recovered here.
 */
export class RevocationLifetime1763841100000 implements MigrationInterface {
  name = 'RevocationLifetime1763841100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const now = utc(new Date());
    const ended = (await queryRunner.query(
      `SELECT id, revoked_at, expires_at FROM auth_session WHERE revoked_at IS NOT NULL AND type IN ('minted', 'personal') AND expires_at > ?`,
      [now],
    )) as Array<{ id: string; revoked_at: Date | string; expires_at: Date | string }>;
    for (let start = 0; start < ended.length; start += BATCH) {
      const rows = ended.slice(start, start + BATCH);
      await queryRunner.query(
        `INSERT INTO auth_revocation (kind, subject, revoked_at, expires_at) VALUES ${rows.map(() => `('session', ?, ?, ?)`).join(', ')}`,
        rows.flatMap((row) => [row.id, utc(asDate(row.revoked_at)), utc(new Date(asDate(row.expires_at).getTime() + CLOCK_LEEWAY_MS))]),
      );
    }

    const users = (await queryRunner.query(`SELECT id, revoked_at FROM auth_revocation WHERE kind = 'user'`)) as Array<{
      id: number;
      revoked_at: Date | string;
    }>;
    for (const row of users) {
      await queryRunner.query(`UPDATE auth_revocation SET expires_at = ? WHERE id = ?`, [
        utc(new Date(asDate(row.revoked_at).getTime() + LONGEST_TOKEN_LIFETIME_MS)),
        row.id,
      ]);
    }
  }

  async down(): Promise<void> {
    // Longer-lived entries are what the previous version needs too.
  }
}

/** MySQL hands back a Date (the connection is in UTC), SQLite the text TypeORM wrote: 'YYYY-MM-DD HH:MM:SS.SSS', in UTC. */
function asDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}

/** The form TypeORM writes datetimes in on SQLite, and that MySQL reads as given (the connection is in UTC). */
function utc(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
