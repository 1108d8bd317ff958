import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Partner single sign-on (issue 11): the partners, the partner tokens already used (the replay cache) and
 * the one-time codes a sign-in redirects with. The user's employee number, the third thing a partner
 * token may name, is sys_user.employee_no of the initial schema.
 */
export class SsoPartners1763850000000 implements MigrationInterface {
  name = 'SsoPartners1763850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const idType = mysql ? 'int' : 'integer';
    const precision = mysql ? 3 : undefined;
    const now = mysql ? 'CURRENT_TIMESTAMP(3)' : "(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))";

    await queryRunner.createTable(
      new Table({
        name: 'sso_partner',
        columns: [
          { name: 'id', type: idType, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'issuer', type: 'varchar', length: '255', isNullable: true },
          { name: 'algorithm', type: 'varchar', length: '8' },
          { name: 'secret', type: 'varchar', length: '1024', isNullable: true },
          { name: 'public_key', type: 'text', isNullable: true },
          { name: 'landing_url', type: 'varchar', length: '2048' },
          { name: 'max_token_age', type: 'int', default: 300 },
          { name: 'enabled', type: 'boolean', default: true },
          { name: 'is_default', type: 'boolean', isNullable: true },
          { name: 'create_by', type: idType, isNullable: true },
          { name: 'create_time', type: 'datetime', precision, default: now },
          { name: 'update_by', type: idType, isNullable: true },
          { name: 'update_time', type: 'datetime', precision, default: now },
          { name: 'remark', type: 'varchar', length: '500', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'uq_sso_partner_issuer', columnNames: ['issuer'], isUnique: true }),
          new TableIndex({ name: 'uq_sso_partner_default', columnNames: ['is_default'], isUnique: true }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sso_token_use',
        columns: [
          { name: 'token_key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'partner_id', type: idType },
          { name: 'used_at', type: 'datetime', precision },
          { name: 'expires_at', type: 'datetime', precision },
        ],
        indices: [new TableIndex({ name: 'ix_sso_token_use_expires_at', columnNames: ['expires_at'] })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sso_login_code',
        columns: [
          { name: 'code_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'user_id', type: idType },
          { name: 'client_hash', type: 'varchar', length: '64' },
          { name: 'sealed', type: 'text' },
          { name: 'created_at', type: 'datetime', precision },
          { name: 'expires_at', type: 'datetime', precision },
        ],
        indices: [
          new TableIndex({ name: 'ix_sso_login_code_expires_at', columnNames: ['expires_at'] }),
          new TableIndex({ name: 'ix_sso_login_code_user', columnNames: ['user_id'] }),
        ],
        foreignKeys: [
          // A deleted user's pending codes go with it.
          new TableForeignKey({
            name: 'fk_sso_login_code_user',
            columnNames: ['user_id'],
            referencedTableName: 'sys_user',
            referencedColumnNames: ['user_id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['sso_login_code', 'sso_token_use', 'sso_partner']) await queryRunner.dropTable(table, true);
  }
}
