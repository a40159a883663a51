// ESLint (flat config): typescript-eslint's recommended rules plus the type-aware ones that catch real bugs here
// (a promise nobody awaits, an async callback where a sync one is expected, awaiting what is not a promise), and the
// layering rule that keeps terminal-UI packages out of the pattern, runner, redis and scenario layers (the syntax-tree
// test in test/architecture/layers.test.ts checks the rest of the layering). Formatting is Prettier's job.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const UI_PACKAGES = {
  paths: [
    { name: "chalk", message: "terminal output belongs in src/cli" },
    { name: "ora", message: "terminal output belongs in src/cli" },
    { name: "commander", message: "the command line belongs in src/cli" },
  ],
  patterns: [{ group: ["@inquirer/*"], message: "prompts belong in src/cli" }],
};

export default tseslint.config(
  { ignores: ["dist/", "coverage/", ".scratch/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/patterns/**/*.ts", "src/runner/**/*.ts", "src/redis/**/*.ts", "scenarios/**/*.ts"],
    rules: { "no-restricted-imports": ["error", UI_PACKAGES] },
  },
);
