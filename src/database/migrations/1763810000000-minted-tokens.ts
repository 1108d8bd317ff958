import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Minted tokens are recorded as sessions (type minted or personal), so they are
 * searched and revoked the same way: a subject that need not be a user, the
 * audience, the scopes, and who minted them.
 */
export class MintedTokens1763810000000 implements MigrationInterface {
  name = 'MintedTokens1763810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    await queryRunner.changeColumn('auth_session', 'user_id', new TableColumn({ name: 'user_id', type: mysql ? 'int' : 'integer', isNullable: true }));
    await queryRunner.addColumns('auth_session', [
      new TableColumn({ name: 'subject', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'audience', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'scopes', type: 'varchar', length: '4000', isNullable: true }),
      new TableColumn({ name: 'minted_by', type: mysql ? 'int' : 'integer', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['minted_by', 'scopes', 'audience', 'subject']) await queryRunner.dropColumn('auth_session', column);
  }
}
