import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class SigningKeys1763830000000 implements MigrationInterface {
  name = 'SigningKeys1763830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const precision = mysql ? 3 : undefined;
    await queryRunner.createTable(
      new Table({
        name: 'auth_signing_key',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'alg', type: 'varchar', length: '8' },
          { name: 'public_jwk', type: 'varchar', length: '2000' },
          { name: 'private_key', type: 'text' },
          { name: 'created_at', type: 'datetime', precision },
          { name: 'activates_at', type: 'datetime', precision },
          { name: 'retired_at', type: 'datetime', precision, isNullable: true },
          { name: 'expires_at', type: 'datetime', precision, isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('auth_signing_key', true);
  }
}
