import { createRequire } from 'node:module';

/** The `@opentelemetry/api` module, as Strata uses it. */
export type OpenTelemetryApi = typeof import('@opentelemetry/api');

/**
 * Loads `@opentelemetry/api` with `require`, or returns undefined when it is not installed
 * (it is an optional peer dependency). Synchronous on purpose: instrumentation decides at
 * construction whether it exists, and a module that is absent costs nothing afterwards.
 * Errors other than "not found" (a broken install) are not hidden.
 */
export function loadOpenTelemetryApi(
  load: (id: string) => unknown = createRequire(import.meta.url),
): OpenTelemetryApi | undefined {
  let loaded: unknown;
  try {
    loaded = load('@opentelemetry/api');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  const api = loaded as Partial<OpenTelemetryApi> | undefined;
  // An API too old for what Strata calls is treated as absent rather than failing later.
  const usable =
    typeof api?.trace?.getTracerProvider === 'function' &&
    typeof api.metrics?.getMeterProvider === 'function' &&
    typeof api.context?.with === 'function' &&
    typeof api.ProxyTracerProvider === 'function';
  return usable ? (api as OpenTelemetryApi) : undefined;
}

let loaded: { readonly api: OpenTelemetryApi | undefined } | undefined;

/**
 * `@opentelemetry/api` when the application installed it; undefined otherwise. Looked up on the
 * first call rather than at import, because the lookup is a noticeable part of a package's
 * import time; remembered afterwards.
 */
export function openTelemetryApi(): OpenTelemetryApi | undefined {
  loaded ??= { api: loadOpenTelemetryApi() };
  return loaded.api;
}
