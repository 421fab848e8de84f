import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'openapi/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Test helpers read arbitrary JSON bodies.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The web UI's escaping is only as good as its absence of bypasses.
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', { selector: "ImportSpecifier[imported.name='raw']", message: 'raw() bypasses HTML escaping' }] },
  },
  {
    // The browser script of the web UI.
    files: ['src/modules/web/assets/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', WebSocket: 'readonly', location: 'readonly', setTimeout: 'readonly' } },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
