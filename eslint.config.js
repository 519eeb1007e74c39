import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      'src/generated/**',
      '.data/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Configuration is read once, in src/config; everything else receives it by injection.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings through AppConfig (src/config).',
        },
      ],
    },
  },
  {
    files: [
      'src/config/**',
      'scripts/**',
      'test/**',
      'bench/**',
      'simulator/main.ts',
      'simulator/config.ts',
      'prisma.config.ts',
      'vitest.config.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The simulator is a separate program: it shares only the protocol leaf with the service.
    files: ['simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(?!protocol/)',
              message: 'The simulator may import only src/protocol from the service.',
            },
          ],
        },
      ],
    },
  },
  {
    // src/protocol is the leaf both sides build on: it imports nothing of the project.
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./', message: 'src/protocol imports nothing above it.' }] },
      ],
    },
  },
);
