import { trace } from '@opentelemetry/api';

/**
 * Names the HTTP server span of the current request after its route (`POST /orders`, not
 * `POST`) and sets `http.route`, as the HTTP semantic conventions ask; the HTTP
 * instrumentation cannot, since only Fastify knows the route. Without a started SDK there is
 * no active span and this does nothing.
 */
export function nameServerSpan(method: string, route: string | undefined): void {
  if (route === undefined) return;
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}
