// ESLint 10 flat config: the recommended JavaScript and typescript-eslint rules; formatting is Prettier's.
import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '.test-build/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Writes go through Transactions.run and reads through Transactions.reader: on SQLite's one shared
    // connection a statement sent beside them would run inside another request's transaction.
    files: ['src/**/*.ts'],
    ignores: ['src/database/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'typeorm',
              importNames: ['DataSource', 'getManager', 'getRepository'],
              message: 'Read with Transactions.reader, write in Transactions.run.',
            },
            {
              name: '@nestjs/typeorm',
              importNames: ['InjectDataSource', 'InjectEntityManager', 'InjectRepository', 'getDataSourceToken', 'getRepositoryToken'],
              message: 'Read with Transactions.reader, write in Transactions.run.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
