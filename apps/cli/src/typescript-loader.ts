let registered: Promise<void> | undefined;

/**
 * Lets `import()` load `.ts` files (a `strata.config.ts`, `.ts` migrations and seeds) on
 * Node 20, by registering tsx's ESM loader once for this process. It is loaded only when a
 * `.ts` file is about to be imported, so commands that need none start without it.
 */
export function registerTypeScriptLoader(): Promise<void> {
  registered ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return registered;
}

/** True for file names `registerTypeScriptLoader` is needed for. */
export const isTypeScriptFile = (fileName: string): boolean =>
  /\.(?:ts|mts|cts)$/.test(fileName) && !fileName.endsWith('.d.ts');
