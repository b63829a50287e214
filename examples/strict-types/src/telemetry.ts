// @strata/telemetry is the OpenTelemetry bridge: code that uses it directly has the API installed
// (every other package keeps @opentelemetry/api optional and out of its public types).
import { describeError, describeStatement, InstrumentationTracer } from '@strata/telemetry';

export const spanName: string = describeStatement('SELECT id FROM users WHERE id = $1').spanName;
export const errorType: string = describeError(new Error('boom')).type;
export const tracer = new InstrumentationTracer('strict-types');
