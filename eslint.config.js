// ESLint for the TypeScript front end (www/) and the package's own TypeScript (js/): type-aware
// rules that catch what tsc does not — above all promises nobody awaits or catches
// (`no-floating-promises`, `no-misused-promises`).
import tseslint from 'typescript-eslint';

/** The same rules for each TypeScript program (each has its own tsconfig). */
const program = (files, project) => ({
  files,
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { project, tsconfigRootDir: import.meta.dirname },
  },
  plugins: { '@typescript-eslint': tseslint.plugin },
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-misused-promises': 'error',
    '@typescript-eslint/await-thenable': 'error',
  },
});

export default tseslint.config(
  { ignores: ['www/dist/**', 'pkg/**', 'node_modules/**', 'examples/**'] },
  program(['www/**/*.ts'], './tsconfig.json'),
  program(['js/**/*.ts'], './tsconfig.package.json'),
);
