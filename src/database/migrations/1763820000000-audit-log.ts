import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class AuditLog1763820000000 implements MigrationInterface {
  name = 'AuditLog1763820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    await queryRunner.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          { name: 'id', type: mysql ? 'int' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'time', type: 'datetime', precision: mysql ? 3 : undefined },
          { name: 'actor', type: 'varchar', length: '255', isNullable: true },
          { name: 'action', type: 'varchar', length: '32' },
          { name: 'target', type: 'varchar', length: '255', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '512', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'details', type: 'varchar', length: '4000', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'ix_audit_time', columnNames: ['time'] }),
          new TableIndex({ name: 'ix_audit_actor', columnNames: ['actor'] }),
          new TableIndex({ name: 'ix_audit_action', columnNames: ['action'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_log', true);
  }
}
