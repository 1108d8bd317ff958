import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** The revocation log: what the guard's in-memory view is loaded from, and what outlives deleted users. */
export class RevocationLog1763800000000 implements MigrationInterface {
  name = 'RevocationLog1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    await queryRunner.createTable(
      new Table({
        name: 'auth_revocation',
        columns: [
          { name: 'id', type: mysql ? 'int' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'subject', type: 'varchar', length: '64' },
          { name: 'revoked_at', type: 'datetime', precision: mysql ? 3 : undefined },
          { name: 'expires_at', type: 'datetime', precision: mysql ? 3 : undefined },
        ],
        indices: [
          new TableIndex({ name: 'ix_revocation_expires_at', columnNames: ['expires_at'] }),
          new TableIndex({ name: 'ix_revocation_revoked_at', columnNames: ['revoked_at'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('auth_revocation', true);
  }
}
