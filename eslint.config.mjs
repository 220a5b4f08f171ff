import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.local/**', 'jest.config.js', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Only src/config/ may read the environment (ARCHITECTURE.md section 5).
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through src/config/.' },
      ],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/dev/**'], message: 'src/ never imports dev/.' }] }],
    },
  },
  {
    // Orchestrators are deterministic: no I/O, clocks, randomness or configuration.
    files: ['src/orchestrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'http', 'https', 'net', 'crypto', 'child_process', 'os'],
              message: 'No I/O in orchestrators.',
            },
            {
              group: ['@azure/*', '!@azure/functions'],
              message: 'No Azure SDK clients in orchestrators; use an activity.',
            },
            {
              group: ['**/config', '**/config/**', '**/activities/**', '**/azureml/**', '**/storage/**'],
              message: 'Orchestrators only coordinate; I/O belongs to activities.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Use context.df.currentUtcDateTime.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Use context.df.currentUtcDateTime.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'No randomness in orchestrators.',
        },
        { selector: "CallExpression[callee.name='fetch']", message: 'No I/O in orchestrators.' },
      ],
    },
  },
  {
    // Fixture function apps for the dev host tests: plain CommonJS, loaded by the host as they are.
    files: ['test/fixtures/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        Buffer: 'readonly',
        ReadableStream: 'readonly',
        TextEncoder: 'readonly',
      },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'dev/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
