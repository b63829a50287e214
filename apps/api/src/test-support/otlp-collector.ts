import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};

/** A span as OTLP/HTTP JSON carries it, with its attributes made a plain object. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client. */
  kind: number;
  /** Nanoseconds since the epoch, as OTLP JSON writes them (a string). */
  startTimeUnixNano: string;
  scope: string;
  attributes: Record<string, string | number | boolean | undefined>;
  status: { code?: number; message?: string };
}

interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: (Omit<CollectedSpan, 'attributes' | 'scope'> & {
        attributes?: { key: string; value: OtlpValue }[];
      })[];
    }[];
  }[];
}

const plain = (value: OtlpValue) =>
  value.stringValue ??
  (value.intValue === undefined ? undefined : Number(value.intValue)) ??
  value.boolValue ??
  value.doubleValue;

const attributesOf = (list: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, plain(value)]));

/**
 * A minimal OpenTelemetry collector on 127.0.0.1: accepts OTLP/HTTP JSON on any path
 * (`/v1/traces`, `/v1/metrics`, `/v1/logs`) and keeps the spans it receives.
 */
export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  /** `service.name` of each batch of spans received. */
  readonly serviceNames = new Set<string>();
  /** Names of the metrics received. */
  readonly metricNames = new Set<string>();
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<OtlpCollector> {
    let collector: OtlpCollector | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        collector?.receive(request.url ?? '', body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    collector = new OtlpCollector(server);
    return collector;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  receive(path: string, body: string): void {
    if (path.startsWith('/v1/metrics')) {
      for (const [, name] of body.matchAll(/"name":"([^"]+)"/g)) this.metricNames.add(name as string);
    }
    if (!path.startsWith('/v1/traces')) return;
    const traces = JSON.parse(body) as OtlpTraces;
    for (const resource of traces.resourceSpans ?? []) {
      const service = attributesOf(resource.resource?.attributes)['service.name'];
      if (typeof service === 'string') this.serviceNames.add(service);
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            ...span,
            scope: scope.scope?.name ?? '',
            attributes: attributesOf(span.attributes),
          });
        }
      }
    }
  }

  /** The spans whose parent is `parent`, in the order they started. */
  childrenOf(parent: CollectedSpan): CollectedSpan[] {
    return this.spans
      .filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId)
      .sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)));
  }

  /** Every span under `parent`, depth first. */
  descendantsOf(parent: CollectedSpan): CollectedSpan[] {
    return this.childrenOf(parent).flatMap((child) => [child, ...this.descendantsOf(child)]);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
