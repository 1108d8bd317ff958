// ESLint 10 flat config: the recommended JavaScript and typescript-eslint rules; formatting is Prettier's.
import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const DATABASE_MESSAGE = 'Read with Transactions.reader, write in Transactions.run.';
const DATABASE_PATHS = [
  { name: 'typeorm', importNames: ['DataSource', 'getManager', 'getRepository'], message: DATABASE_MESSAGE },
  {
    name: '@nestjs/typeorm',
    importNames: ['InjectDataSource', 'InjectEntityManager', 'InjectRepository', 'getDataSourceToken', 'getRepositoryToken'],
    message: DATABASE_MESSAGE,
  },
];
const LAYER_MESSAGE = 'config/, database/ and common/ import no feature folder: let the feature register itself (a module, a seed, a config slice).';
/** An import that climbs out of the layer (`up` is the escaped `../` prefix) to anything but another layer. */
const layerPattern = (up) => ({ regex: `^${up}(?!(common|config|database)(/|$))`, message: LAYER_MESSAGE });

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
  // The layers every feature builds on (config, database, common) know no feature: a feature's code, entities and
  // seeds stay in its own folder, and a layer can be read, tested and changed without the features.
  // Outside database/, nothing holds the DataSource: writes go through Transactions.run and reads through
  // Transactions.reader, since on SQLite's one shared connection a statement sent beside them would run inside
  // another request's transaction.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/database/**'],
    rules: { 'no-restricted-imports': ['error', { paths: DATABASE_PATHS }] },
  },
  {
    // The session core serves every login family; the password family (auth/) is only one of them. The same rule
    // name as above: this entry replaces it for these files, so it repeats its paths.
    files: ['src/session/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: DATABASE_PATHS,
          patterns: [{ group: ['**/auth', '**/auth/*'], message: 'session/ serves every login family: it imports nothing from auth/.' }],
        },
      ],
    },
  },
  {
    files: ['src/{common,config}/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: DATABASE_PATHS, patterns: [layerPattern('\\.\\./')] }] },
  },
  {
    files: ['src/{common,config}/*/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: DATABASE_PATHS, patterns: [layerPattern('\\.\\./\\.\\./')] }] },
  },
  {
    files: ['src/database/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [layerPattern('\\.\\./')] }] },
  },
  {
    files: ['src/database/*/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [layerPattern('\\.\\./\\.\\./')] }] },
  },
  prettier,
);
