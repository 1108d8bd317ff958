import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/** WeChat mini-program logins (issue 13): which of our users each (appid, openid) is, and its unionid. */
export class WechatBindings1763852400000 implements MigrationInterface {
  name = 'WechatBindings1763852400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const idType = mysql ? 'int' : 'integer';
    const precision = mysql ? 3 : undefined;
    const now = mysql ? 'CURRENT_TIMESTAMP(3)' : "(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'))";
    // WeChat's ids are case-sensitive: compared byte by byte on MySQL, as on SQLite.
    const binary = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'sys_user_wechat',
        columns: [
          { name: 'id', type: idType, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'appid', type: 'varchar', length: '64', ...binary },
          { name: 'openid', type: 'varchar', length: '128', ...binary },
          { name: 'unionid', type: 'varchar', length: '128', isNullable: true, ...binary },
          { name: 'user_id', type: idType },
          { name: 'created_at', type: 'datetime', precision, default: now },
        ],
        indices: [
          // Two first logins of one WeChat user at once: the second insert fails here, and reads the first's user.
          new TableIndex({ name: 'uq_user_wechat_openid', columnNames: ['appid', 'openid'], isUnique: true }),
          new TableIndex({ name: 'ix_user_wechat_unionid', columnNames: ['unionid'] }),
          new TableIndex({ name: 'ix_user_wechat_user', columnNames: ['user_id'] }),
        ],
        foreignKeys: [
          // A deleted user's bindings go with it: its WeChat user starts afresh.
          new TableForeignKey({
            name: 'fk_user_wechat_user',
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
    await queryRunner.dropTable('sys_user_wechat', true);
  }
}
