import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The counters of the brute-force limits (issue 15) when no Redis is configured: rate-limiter-flexible's
 * layout (key, points, expire in Unix ms), created here rather than by the library at run time. Keys are
 * ASCII (names and addresses enter them hashed), so the MySQL key needs no utf8mb4 width.
 */
export class RateLimits1763880000000 implements MigrationInterface {
  name = 'RateLimits1763880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.driver.options.type === 'better-sqlite3';
    await queryRunner.query(
      sqlite
        ? `CREATE TABLE rate_limit (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)`
        : 'CREATE TABLE rate_limit (`key` VARCHAR(255) CHARACTER SET ascii NOT NULL, `points` INT NOT NULL DEFAULT 0, `expire` BIGINT UNSIGNED NULL, PRIMARY KEY (`key`)) ENGINE = InnoDB',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rate_limit`);
  }
}
