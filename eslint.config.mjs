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
    // Tests may poke at untyped SDK and emulator responses.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: activity and adapter code only as types.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' }],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'crypto', 'ldapts', 'jsforce', '@hubspot/*'], message: 'not available in the workflow sandbox' },
            { group: ['../activities/*', '../targets/*/*', '../directory/*/*'], allowTypeImports: true, message: 'workflows may import activity code only as types' },
          ],
        },
      ],
    },
  },
);
