import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Users, roles, permissions and sessions. Written with the QueryRunner schema API
 * so that the same migration builds the schema on MySQL/MariaDB and on SQLite.
 */
export class InitialSchema1763780000000 implements MigrationInterface {
  name = 'InitialSchema1763780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = new ColumnKit(queryRunner);
    if (c.mysql) {
      // Tables take the database's default character set; names and messages are Chinese.
      await queryRunner.query('ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    }

    await queryRunner.createTable(
      new Table({
        name: 'sys_permission',
        columns: [
          { name: 'code', type: 'varchar', length: '64', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'description', type: 'varchar', length: '255', isNullable: true },
          { name: 'built_in', type: 'boolean', default: false },
          c.time('create_time'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sys_role',
        columns: [
          c.id('role_id'),
          { name: 'role_name', type: 'varchar', length: '64' },
          { name: 'role_key', type: 'varchar', length: '64' },
          { name: 'role_sort', type: 'int', default: 0 },
          { name: 'status', type: 'varchar', length: '1', default: "'0'" },
          { name: 'data_scope', type: 'varchar', length: '1', default: "'1'" },
          ...c.audit(),
          { name: 'remark', type: 'varchar', length: '500', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'uq_role_key', columnNames: ['role_key'], isUnique: true }),
          new TableIndex({ name: 'ix_role_sort', columnNames: ['role_sort'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sys_user',
        columns: [
          c.id('user_id'),
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'username_key', type: 'varchar', length: '64' },
          { name: 'password_hash', type: 'varchar', length: '100' },
          { name: 'nickname', type: 'varchar', length: '64', isNullable: true },
          { name: 'avatar', type: 'varchar', length: '512', isNullable: true },
          { name: 'phone', type: 'varchar', length: '32', isNullable: true },
          { name: 'email', type: 'varchar', length: '254', isNullable: true },
          { name: 'sex', type: 'varchar', length: '1', isNullable: true },
          { name: 'status', type: 'varchar', length: '1', default: "'0'" },
          { name: 'employee_no', type: 'varchar', length: '64', isNullable: true },
          { name: 'dept_id', type: c.idType, isNullable: true },
          { name: 'login_ip', type: 'varchar', length: '64', isNullable: true },
          c.time('login_date', true),
          ...c.audit(),
          { name: 'remark', type: 'varchar', length: '500', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'uq_user_username_key', columnNames: ['username_key'], isUnique: true }),
          new TableIndex({ name: 'uq_user_phone', columnNames: ['phone'], isUnique: true }),
          new TableIndex({ name: 'uq_user_email', columnNames: ['email'], isUnique: true }),
          new TableIndex({ name: 'uq_user_employee_no', columnNames: ['employee_no'], isUnique: true }),
          new TableIndex({ name: 'ix_user_dept', columnNames: ['dept_id'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sys_user_role',
        columns: [
          { name: 'user_id', type: c.idType, isPrimary: true },
          { name: 'role_id', type: c.idType, isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'ix_user_role_role', columnNames: ['role_id'] })],
        foreignKeys: [c.foreignKey('fk_user_role_user', 'user_id', 'sys_user', 'user_id'), c.foreignKey('fk_user_role_role', 'role_id', 'sys_role', 'role_id')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sys_role_permission',
        columns: [
          { name: 'role_id', type: c.idType, isPrimary: true },
          { name: 'permission_code', type: 'varchar', length: '64', isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'ix_role_permission_code', columnNames: ['permission_code'] })],
        foreignKeys: [
          c.foreignKey('fk_role_permission_role', 'role_id', 'sys_role', 'role_id'),
          c.foreignKey('fk_role_permission_code', 'permission_code', 'sys_permission', 'code'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'auth_session',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: c.idType },
          { name: 'type', type: 'varchar', length: '16', default: "'password'" },
          { name: 'ip', type: 'varchar', length: '64' },
          { name: 'user_agent', type: 'varchar', length: '512' },
          { name: 'rotation', type: 'int', default: 0 },
          c.time('created_at'),
          c.time('last_used_at'),
          c.time('expires_at'),
          c.time('revoked_at', true),
          { name: 'revoke_reason', type: 'varchar', length: '32', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'ix_session_user', columnNames: ['user_id'] }),
          new TableIndex({ name: 'ix_session_revoked_at', columnNames: ['revoked_at'] }),
        ],
        foreignKeys: [c.foreignKey('fk_session_user', 'user_id', 'sys_user', 'user_id')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'auth_refresh_token',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'session_id', type: 'varchar', length: '36' },
          { name: 'generation', type: 'int' },
          c.time('created_at'),
          c.time('rotated_at', true),
        ],
        indices: [new TableIndex({ name: 'ix_refresh_token_session', columnNames: ['session_id'] })],
        foreignKeys: [c.foreignKey('fk_refresh_token_session', 'session_id', 'auth_session', 'id')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['auth_refresh_token', 'auth_session', 'sys_role_permission', 'sys_user_role', 'sys_user', 'sys_role', 'sys_permission']) {
      await queryRunner.dropTable(table, true);
    }
  }
}

/** Column shapes that differ between the two databases, kept in one place. */
class ColumnKit {
  readonly idType: string;
  readonly mysql: boolean;

  constructor(queryRunner: QueryRunner) {
    this.mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    // SQLite only auto-increments an INTEGER PRIMARY KEY. INT ids: TypeORM hands MySQL BIGINTs over as strings.
    this.idType = this.mysql ? 'int' : 'integer';
  }

  id(name: string): TableColumnOptions {
    return { name, type: this.idType, isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
  }

  time(name: string, nullable = false): TableColumnOptions {
    return {
      name,
      type: 'datetime',
      precision: this.mysql ? 3 : undefined,
      isNullable: nullable,
      default: nullable ? undefined : this.mysql ? 'CURRENT_TIMESTAMP(3)' : "(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))",
    };
  }

  audit(): TableColumnOptions[] {
    return [
      { name: 'create_by', type: this.idType, isNullable: true },
      this.time('create_time'),
      { name: 'update_by', type: this.idType, isNullable: true },
      this.time('update_time'),
    ];
  }

  foreignKey(name: string, column: string, table: string, referenced: string): TableForeignKey {
    return new TableForeignKey({
      name,
      columnNames: [column],
      referencedTableName: table,
      referencedColumnNames: [referenced],
      onDelete: 'CASCADE',
    });
  }
}
