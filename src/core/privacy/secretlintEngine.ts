// secretlint and its rules (two thirds of the CLI's code by size), loaded only when a sync scans files: esbuild
// bundles this file on its own (dist/secretlint.js), so a `check` does not compile it at every start.
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import { creator as noDotenv } from '@secretlint/secretlint-rule-no-dotenv';

export { lintSource };

export const CONFIG = {
  rules: [
    { id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended },
    { id: '@secretlint/secretlint-rule-no-dotenv', rule: noDotenv },
  ],
};
