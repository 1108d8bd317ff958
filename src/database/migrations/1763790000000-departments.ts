import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/** The department tree, the custom departments of a role's data scope, and the user → department key. */
export class Departments1763790000000 implements MigrationInterface {
  name = 'Departments1763790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const id = mysql ? 'int' : 'integer';
    const time = (name: string) => ({
      name,
      type: 'datetime',
      precision: mysql ? 3 : undefined,
      default: mysql ? 'CURRENT_TIMESTAMP(3)' : "(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))",
    });

    await queryRunner.createTable(
      new Table({
        name: 'sys_dept',
        columns: [
          { name: 'dept_id', type: id, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'parent_id', type: id, default: 0 },
          { name: 'ancestors', type: 'varchar', length: '500', default: "'0'" },
          { name: 'dept_name', type: 'varchar', length: '64' },
          { name: 'order_num', type: 'int', default: 0 },
          { name: 'status', type: 'varchar', length: '1', default: "'0'" },
          { name: 'create_by', type: id, isNullable: true },
          time('create_time'),
          { name: 'update_by', type: id, isNullable: true },
          time('update_time'),
          { name: 'remark', type: 'varchar', length: '500', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'ix_dept_parent', columnNames: ['parent_id'] }),
          new TableIndex({ name: 'uq_dept_parent_name', columnNames: ['parent_id', 'dept_name'], isUnique: true }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sys_role_dept',
        columns: [
          { name: 'role_id', type: id, isPrimary: true },
          { name: 'dept_id', type: id, isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'ix_role_dept_dept', columnNames: ['dept_id'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_role_dept_role',
            columnNames: ['role_id'],
            referencedTableName: 'sys_role',
            referencedColumnNames: ['role_id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            name: 'fk_role_dept_dept',
            columnNames: ['dept_id'],
            referencedTableName: 'sys_dept',
            referencedColumnNames: ['dept_id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    // A department with users cannot disappear under them, even in a race with an assignment.
    await queryRunner.createForeignKey(
      'sys_user',
      new TableForeignKey({
        name: 'fk_user_dept',
        columnNames: ['dept_id'],
        referencedTableName: 'sys_dept',
        referencedColumnNames: ['dept_id'],
        onDelete: 'RESTRICT',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropForeignKey('sys_user', 'fk_user_dept');
    await queryRunner.dropTable('sys_role_dept', true);
    await queryRunner.dropTable('sys_dept', true);
  }
}
