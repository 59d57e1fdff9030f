// OpenTelemetry NodeSDK configured by the standard OTEL_* variables (OTLP over HTTP). Without an OTLP
// endpoint we still install a tracer provider (no exporter), so trace ids exist, reach the logs and
// travel between services in message headers.
import { context, propagation, trace, SpanKind, SpanStatusCode, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { httpClientInstrumentations } from './http-spans.ts';

let sdk: NodeSDK | undefined;
const w3c = new W3CTraceContextPropagator();

export interface TelemetryHandle {
  exporting: boolean;
  /** Export the spans ended so far (the end of an in-process run). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

function otlpConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER === 'otlp');
}

/** Start tracing once per process; later calls return the same handle. */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): TelemetryHandle {
  const exporting = otlpConfigured(env);
  if (!sdk) {
    sdk = new NodeSDK({
      serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
      textMapPropagator: w3c,
      ...(exporting ? { traceExporter: new OTLPTraceExporter() } : { spanProcessors: [] }),
      instrumentations: httpClientInstrumentations(),
    });
    sdk.start();
    // The http instrumentation patches the CommonJS node:http(s) on require; ES modules import named
    // bindings of the builtins, which only follow the patch once the builtins' ESM exports are synced.
    const require = createRequire(import.meta.url);
    require('node:http');
    require('node:https');
    syncBuiltinESMExports();
  }
  return {
    exporting,
    async flush() {
      const p = trace.getTracerProvider() as { forceFlush?: () => Promise<void>; getDelegate?: () => { forceFlush?: () => Promise<void> } };
      const provider = p.getDelegate?.() ?? p;
      await provider.forceFlush?.();
    },
    async shutdown() {
      const s = sdk;
      sdk = undefined;
      await s?.shutdown();
    },
  };
}

export const tracer = () => trace.getTracer('hls-chips');

/** hls.* span attributes from the ids a handler knows. */
export function hlsAttributes(ids: HlsIds): Attributes {
  const a: Attributes = {};
  if (ids.runId) a['hls.run_id'] = ids.runId;
  if (ids.tileId) a['hls.tile_id'] = ids.tileId;
  if (ids.chipId) a['hls.chip_id'] = ids.chipId;
  // A tile-level span names all its chips, so a chip's id finds the tile's spans too.
  if (ids.chipIds && ids.chipIds.length > 0) a['hls.chip_ids'] = [...ids.chipIds];
  if (ids.granuleId) a['hls.granule_id'] = ids.granuleId;
  return a;
}

/** The ids hls.* attributes are made of. */
export interface HlsIds {
  runId?: string | undefined;
  tileId?: string | undefined;
  chipId?: string | undefined;
  chipIds?: readonly string[] | undefined;
  granuleId?: string | undefined;
}

/** The W3C traceparent of the active span (kept where a later span must link to it, e.g. a fan-in). */
export function activeTraceparent(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, { set: (c, k, v) => void (c[k] = v) });
  return carrier.traceparent;
}

/** A span link to the span a traceparent names (undefined for a malformed one). */
export function linkToTraceparent(traceparent: string, attributes: Attributes = {}): Link | undefined {
  const ctx = w3c.extract(context.active(), { traceparent }, { get: (c, k) => c[k as 'traceparent'], keys: () => ['traceparent'] });
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? { context: sc, attributes } : undefined;
}

/** A link to the active span, for a new root that continues the work the active span started. */
export function linkToActive(attributes: Attributes = {}): Link[] {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? [{ context: sc, attributes }] : [];
}

/** A carrier over any header map with get/set of string values (NATS MsgHdrs fits). */
export interface HeaderCarrier {
  get(k: string): string;
  set(k: string, v: string): void;
}

/** Write the active (or given) context's traceparent/tracestate into message headers. */
export function injectTraceHeaders(h: HeaderCarrier, ctx: Context = context.active()): void {
  w3c.inject(ctx, h, {
    set: (c, k, v) => c.set(k, v),
  });
}

/** The context a consumer span should be a child of. */
export function extractTraceContext(h: HeaderCarrier | undefined): Context {
  if (!h) return context.active();
  return w3c.extract(context.active(), h, {
    get: (c, k) => c.get(k) || undefined,
    keys: () => ['traceparent', 'tracestate'],
  });
}

/** Run fn inside a span; records errors and ends the span. */
export async function withSpan<T>(
  name: string,
  opts: { kind?: SpanKind; parent?: Context; attributes?: Attributes; links?: Link[]; root?: boolean },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes ?? {}, links: opts.links ?? [], root: opts.root ?? false }, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      const r = await fn(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return r;
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}

export { SpanKind, propagation, trace, context };
export type { Span, Context, Attributes, Link };

/**
 * Start a tile's own trace: a root span `tile <tileId>` linked to the run's (active) span. Everything
 * published inside fn (the tile's request) carries it, so the tile's whole work is one trace.
 */
export function withTileTrace<T>(ids: { runId: string; tileId: string; chipIds: readonly string[] }, fn: (span: Span) => Promise<T>): Promise<T> {
  return withSpan(`tile ${ids.tileId}`, { root: true, links: linkToActive({ 'hls.link': 'run' }), attributes: hlsAttributes(ids) }, fn);
}
