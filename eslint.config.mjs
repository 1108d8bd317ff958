// ESLint 10 flat config: the recommended JavaScript and typescript-eslint rules; formatting is Prettier's.
import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const LAYER_MESSAGE = 'config/, database/ and common/ import no feature folder: let the feature register itself (a module, a seed, a config slice).';

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
  {
    files: ['src/{common,config,database}/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./(?!(common|config|database)(/|$))', message: LAYER_MESSAGE }] }] },
  },
  {
    files: ['src/{common,config,database}/*/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./\\.\\./(?!(common|config|database)(/|$))', message: LAYER_MESSAGE }] }] },
  },
  prettier,
);
