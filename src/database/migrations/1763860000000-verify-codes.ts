import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** The api/v2 family's verification codes (issue 13): the latest one per address. */
export class VerifyCodes1763860000000 implements MigrationInterface {
  name = 'VerifyCodes1763860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const precision = mysql ? 3 : undefined;
    const idType = mysql ? 'int' : 'integer';
    // Compared byte by byte on MySQL, as on SQLite; utf8mb4 whatever the server's default character set.
    const binary = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'auth_verify_code',
        columns: [
          { name: 'id', type: idType, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'channel', type: 'varchar', length: '8', ...binary },
          { name: 'destination', type: 'varchar', length: '254', ...binary },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'sent_at', type: 'datetime', precision },
          { name: 'expires_at', type: 'datetime', precision },
          { name: 'failed_attempts', type: idType, default: 0 },
          { name: 'consumed_at', type: 'datetime', precision, isNullable: true },
        ],
        indices: [new TableIndex({ name: 'uq_verify_code_destination', columnNames: ['channel', 'destination'], isUnique: true })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('auth_verify_code', true);
  }
}
