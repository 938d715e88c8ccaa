// One lint config for the whole repository. Type errors are tsc's job (npm run typecheck);
// this catches the mistakes tsc lets through.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.idsync/**', '.test-run/**', 'dist/**', 'test/histories/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The package's bin launcher: plain CommonJS for Node, so it runs before anything is compiled.
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests may poke at untyped SDK and emulator responses.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...layerRules(),
);

/**
 * The floors, lowest first: code may import its own floor and the floors below, never one above.
 * domain (plain types) < lib (names, errors, small helpers) < policy, audit < targets, directory, inbound
 * < app (config loading and runtime wiring) < activities, workflows < entry points (workers,
 * starters, cli). Tests, benchmarks, emulators and scripts stand outside and may import anything.
 */
function layerRules() {
  const floors = [['domain'], ['lib'], ['policy', 'audit'], ['targets', 'directory', 'inbound'], ['app'], ['activities', 'workflows'], ['workers', 'starters', 'cli']];
  const above = (i) => floors.slice(i + 1).flat();
  const patternsFor = (folders) =>
    folders.flatMap((f) => [`../${f}`, `../${f}/*`, `../../${f}`, `../../${f}/*`, `../../../${f}`, `../../../${f}/*`]);
  // Workflow code runs in Temporal's deterministic sandbox: activity and adapter code only as types.
  const sandbox = [
    { group: ['node:*', 'fs', 'crypto', 'ldapts', 'jsforce', '@hubspot/*'], message: 'not available in the workflow sandbox' },
    { group: ['../activities/*', '../targets/*/*', '../directory/*/*'], allowTypeImports: true, message: 'workflows may import activity code only as types' },
  ];
  return floors.flatMap((folders, i) =>
    folders.map((folder) => {
      const higher = above(i);
      const patterns = higher.length > 0 ? [{ group: patternsFor(higher), message: `${folder}/ is on a lower floor than ${higher.join(', ')}/ (see eslint.config.mjs)` }] : [];
      const workflow = folder === 'workflows';
      return {
        files: [`${folder}/**/*.ts`],
        rules: {
          ...(workflow ? { 'no-restricted-globals': ['error', { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' }] } : {}),
          '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...patterns, ...(workflow ? sandbox : [])] }],
        },
      };
    }),
  );
}
