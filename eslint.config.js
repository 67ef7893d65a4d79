// ESLint for the TypeScript front end (www/): type-aware rules that catch what tsc does not —
// above all promises nobody awaits or catches (`no-floating-promises`, `no-misused-promises`).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['www/dist/**', 'pkg/**', 'node_modules/**'] },
  {
    files: ['www/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
