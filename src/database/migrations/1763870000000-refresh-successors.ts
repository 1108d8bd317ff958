import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

const DROPPED = [
  ['auth_refresh_token', 'rotated_at'],
  ['auth_session', 'rotation'],
  ['auth_session', 'last_used_at'],
] as const;

/**
 * A refresh rotation becomes one INSERT (issue 14): the token of generation n+1 of a session is the
 * successor of generation n, and a unique key on (session_id, generation) lets exactly one of several
 * concurrent rotations of one token write it. What three UPDATEs kept is now read from the successors:
 * a token was rotated when (and at the time) its successor was created; the session's rotations and its
 * last refresh are its latest token's generation and creation time.
 */
export class RefreshSuccessors1763870000000 implements MigrationInterface {
  name = 'RefreshSuccessors1763870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'auth_refresh_token',
      new TableIndex({ name: 'uq_refresh_token_session_generation', columnNames: ['session_id', 'generation'], isUnique: true }),
    );
    // The unique key starts with session_id: it serves the foreign key and the lookups by session.
    await queryRunner.dropIndex('auth_refresh_token', 'ix_refresh_token_session');
    // Plain ALTER TABLE, not TypeORM's dropColumn: on SQLite that rebuilds the table, and dropping the old
    // auth_session would cascade to every refresh token when foreign keys are on (as in a revert).
    for (const [table, column] of DROPPED) await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN ${column}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.driver.options.type === 'better-sqlite3';
    const datetime = sqlite ? 'datetime' : 'datetime(3)';
    await queryRunner.query(`ALTER TABLE auth_session ADD COLUMN rotation int NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE auth_session ADD COLUMN last_used_at ${datetime} NULL`);
    await queryRunner.query(`ALTER TABLE auth_refresh_token ADD COLUMN rotated_at ${datetime} NULL`);
    // MySQL refuses a subquery on the table being updated; SQLite has no UPDATE … JOIN.
    await queryRunner.query(
      sqlite
        ? `UPDATE auth_refresh_token SET rotated_at = (SELECT n.created_at FROM auth_refresh_token n
             WHERE n.session_id = auth_refresh_token.session_id AND n.generation = auth_refresh_token.generation + 1)`
        : `UPDATE auth_refresh_token t JOIN auth_refresh_token n ON n.session_id = t.session_id AND n.generation = t.generation + 1
             SET t.rotated_at = n.created_at`,
    );
    await queryRunner.query(
      `UPDATE auth_session SET
         rotation = COALESCE((SELECT MAX(t.generation) FROM auth_refresh_token t WHERE t.session_id = auth_session.id), 0),
         last_used_at = COALESCE((SELECT MAX(t.created_at) FROM auth_refresh_token t WHERE t.session_id = auth_session.id), created_at)`,
    );
    await queryRunner.createIndex('auth_refresh_token', new TableIndex({ name: 'ix_refresh_token_session', columnNames: ['session_id'] }));
    await queryRunner.dropIndex('auth_refresh_token', 'uq_refresh_token_session_generation');
  }
}
