// One lint config for every package (ESLint finds it by walking up from each package).
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The arrows point one way: web → api (over HTTP only) → dataplane → core → native. A package may import only
 * what is below it, and only through its public surface (`index.ts`: the package name, never a path
 * into it; tests may also use `<package>/testing`). `no-restricted-imports` checks every import of the files each block names.
 */
const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: forbidden, message: why },
          // `<package>/testing` is the one other surface a package offers: its test oracles, for tests.
          { group: ['@meshcap/*/*', '!@meshcap/*/testing'], message: "import a package by its name: its index.ts is its public surface" },
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/build/**', '**/.next/**', '**/next-env.d.ts', '**/test-results/**', '**/.turbo/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Type-aware: a promise nobody awaits or catches is a crash or a lost error on the data path.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
  {
    // No import cycles inside a package (the layers above keep packages acyclic): a cycle makes
    // module initialisation order matter and hides which of two files owns a concept.
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  layer(['apps/web/**'], ['@meshcap/core', '@meshcap/native', '@meshcap/api', '@meshcap/dataplane', '@meshcap/testkit', '**/packages/**', '**/apps/api/**', 'fastify', 'better-sqlite3', 'pg'], 'the dashboard reaches the control plane over HTTP only (web → api → dataplane → core → native)'),
  layer(['apps/api/**'], ['@meshcap/web', '**/apps/web/**', 'next', 'react', '**/packages/*/src/**'], 'the api sits below the dashboard and uses dataplane, core and native by package name (web → api → dataplane → core → native)'),
  // `meshcap dp` runs this package alone (and bundled, as the proxy user): the control plane's code and its drivers must never come in.
  layer(['packages/dataplane/**'], ['@meshcap/api', '@meshcap/web', '**/apps/**', '**/core/src/**', '**/native/src/**', 'fastify', 'fastify-plugin', '@fastify/*', 'better-sqlite3', 'pg', 'next', 'react'], 'the dataplane sits below the control plane and loads none of it, nor its HTTP framework or database drivers; core and native by package name (web → api → dataplane → core → native)'),
  layer(['packages/core/**'], ['@meshcap/api', '@meshcap/dataplane', '@meshcap/web', '**/apps/**', '**/packages/dataplane/**', 'fastify', 'better-sqlite3', 'pg', 'next', 'react'], 'core knows nothing of the api, the dataplane process or the dashboard (web → api → dataplane → core → native)'),
  layer(['packages/native/**'], ['@meshcap/core', '@meshcap/api', '@meshcap/dataplane', '@meshcap/web', '**/apps/**', '**/packages/core/**', '**/packages/dataplane/**'], 'native is the bottom layer (web → api → dataplane → core → native)'),
  layer(['packages/testkit/**'], ['@meshcap/core', '@meshcap/native', '@meshcap/api', '@meshcap/dataplane', '@meshcap/web', '**/apps/**'], 'the test kit is used by every package, so it depends on none of them'),
);
