import type { ViteUserConfig } from 'vitest/config';

/** The Strata vitest preset, merged with per-package overrides. */
export declare function defineStrataConfig(overrides?: ViteUserConfig): ViteUserConfig;
