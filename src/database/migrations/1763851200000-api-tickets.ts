import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/** API-gateway tickets (issue 12), their key pairs, and the revision the instances' JWKS views follow. */
export class ApiTickets1763851200000 implements MigrationInterface {
  name = 'ApiTickets1763851200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const precision = mysql ? 3 : undefined;
    const idType = mysql ? 'int' : 'integer';
    const now = mysql ? 'CURRENT_TIMESTAMP(3)' : "(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))";
    await queryRunner.createTable(
      new Table({
        name: 'api_ticket',
        columns: [
          { name: 'id', type: idType, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'gateway_id', type: idType },
          { name: 'name', type: 'varchar', length: '64' },
          // Compared byte by byte on MySQL, as on SQLite: the default collation would fold accents and ignore trailing spaces.
          { name: 'name_key', type: 'varchar', length: '255', ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}) },
          { name: 'comment', type: 'varchar', length: '255', isNullable: true },
          { name: 'ticket_type', type: 'varchar', length: '16' },
          { name: 'alg', type: 'varchar', length: '8' },
          { name: 'kid', type: 'varchar', length: '64' },
          { name: 'valid_start_time', type: 'datetime', precision },
          { name: 'valid_end_time', type: 'datetime', precision },
          { name: 'token_jti', type: 'varchar', length: '36', isNullable: true },
          { name: 'token_issued_at', type: 'datetime', precision, isNullable: true },
          { name: 'create_by', type: idType, isNullable: true },
          { name: 'create_time', type: 'datetime', precision, default: now },
          { name: 'update_by', type: idType, isNullable: true },
          { name: 'update_time', type: 'datetime', precision, default: now },
        ],
        indices: [
          new TableIndex({ name: 'uq_api_ticket_gateway_name', columnNames: ['gateway_id', 'name_key'], isUnique: true }),
          new TableIndex({ name: 'ix_api_ticket_valid_end', columnNames: ['valid_end_time'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_ticket_key',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'ticket_id', type: idType },
          { name: 'public_jwk', type: 'varchar', length: '2000' },
          { name: 'private_key', type: 'text', isNullable: true },
          { name: 'created_at', type: 'datetime', precision },
          { name: 'expires_at', type: 'datetime', precision, isNullable: true },
        ],
        indices: [new TableIndex({ name: 'ix_api_ticket_key_ticket', columnNames: ['ticket_id'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_api_ticket_key_ticket',
            columnNames: ['ticket_id'],
            referencedTableName: 'api_ticket',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_ticket_revision',
        columns: [
          { name: 'id', type: idType, isPrimary: true },
          { name: 'revision', type: idType },
        ],
      }),
    );
    await queryRunner.query('INSERT INTO api_ticket_revision (id, revision) VALUES (1, 0)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['api_ticket_revision', 'api_ticket_key', 'api_ticket']) await queryRunner.dropTable(table, true);
  }
}
