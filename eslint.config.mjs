// Lint configuration: typescript-eslint's type-aware rules over every TypeScript file the build
// compiles, plus one local rule (`local/no-floating-future`: a bare `sleep(100);` does nothing,
// since futures are lazy). Formatting is prettier's alone (eslint-config-prettier turns off the
// rules that would disagree with it).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";
import noFloatingFuture from "./scripts/eslint/no-floating-future.mjs";

export default tseslint.config(
  { ignores: ["dist/", "packages/*/dist/", "node_modules/", "test/fixtures/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ["**/*.ts"],
    plugins: { local: { rules: { "no-floating-future": noFloatingFuture } } },
    rules: {
      "local/no-floating-future": "error",
      // A coroutine body need not wait on anything (`coroutine(function* () { return 1; })`).
      "require-yield": "off",
      // HTTP's grammar is defined over control characters (CTLs): the parsers test for them.
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it", "suite"] }] },
      ],
    },
  },
  {
    // The Effect contender is imported dynamically (it is optional), so its API is untyped there.
    files: ["bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", Buffer: "readonly" } },
  },
  prettier,
);
