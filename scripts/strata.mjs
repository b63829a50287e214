#!/usr/bin/env node
// `pnpm strata …`: pnpm runs root scripts in the repository root, but keeps the directory it
// was started from in INIT_CWD. The CLI runs from there, so relative paths (--dir, --design,
// --config, strata.config.*) mean what they mean where the user typed them, as they do for an
// installed `strata`.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: pnpm sets it for this script, which turbo never runs.
process.chdir(process.env.INIT_CWD || process.cwd());
await import('../apps/cli/dist/bin.js');
