import type { Environment } from '@strata/pool';

/** A started OpenTelemetry SDK. */
export interface RunningTelemetry {
  /** Exports what is still buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

// Probes and scrapes would be most of the traces and tell nothing.
const UNTRACED_PATHS = /^\/(metrics|health\/(live|ready))(\?|$)/;

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * True when the environment asks for traces: an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`
 * or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or an exporter (`OTEL_TRACES_EXPORTER`, other
 * than `none`) is set, and `OTEL_SDK_DISABLED` is not `true`.
 */
export function telemetryRequested(environment: Environment): boolean {
  if (environment.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = environment.OTEL_TRACES_EXPORTER;
  if (isSet(exporter)) return exporter.trim().toLowerCase() !== 'none';
  return (
    isSet(environment.OTEL_EXPORTER_OTLP_ENDPOINT) || isSet(environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
}

/**
 * Starts the OpenTelemetry Node SDK when `telemetryRequested`: traces and metrics go where
 * the standard `OTEL_*` variables say (OTLP over HTTP by default; `OTEL_EXPORTER_OTLP_PROTOCOL`
 * picks protobuf or JSON), the service is `OTEL_SERVICE_NAME` or `strata-api`, and incoming
 * HTTP requests become server spans (health probes and `/metrics` excepted). Otherwise it
 * loads nothing and returns undefined. Must run before Fastify is imported, so that the HTTP
 * instrumentation sees `node:http` being loaded.
 */
export async function startTelemetry(environment: Environment): Promise<RunningTelemetry | undefined> {
  if (!telemetryRequested(environment)) return undefined;
  const [{ NodeSDK }, { HttpInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
  ]);
  const sdk = new NodeSDK({
    serviceName: isSet(environment.OTEL_SERVICE_NAME) ? environment.OTEL_SERVICE_NAME : 'strata-api',
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
      }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
