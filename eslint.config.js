// ESLint for the whole repository (`npm run lint`; `npm test` runs it after the build).
// Type-aware: the rules that matter most here need the types — a promise nobody awaits or
// catches (an unhandled rejection ends the process), a switch over a union that misses a member
// (a new signal, command or event would fall through silently).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'src/gen/', 'node_modules/', 'coverage/', '.tap/', '.scratch/', 'bench/results/', 'glust-data/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // The Node side and the browser UI are two programs with different libraries.
        project: ['./tsconfig.lint.json', './tsconfig.browser-tests.json', './tsconfig.ui.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tap awaits its own subtests: `t.test(...)` is the one promise left floating on purpose.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Node scripts in plain JavaScript: the benchmarks, build helpers, test fixtures, this file.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['src/ui/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests and benchmarks exercise one build: dist/, which is also what the servers and worker
    // threads they start run. A test importing src/ would check code the server does not run
    // (stale until the next build, or newer than it), so both import dist/ after `npm run build`.
    files: ['test/**', 'bench/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/', message: 'import the build (dist/), as the server under test runs it' }] }],
    },
  },
);
