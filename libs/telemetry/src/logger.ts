// pino JSON logs (pretty on a TTY) that carry the active trace and span ids.
import { trace } from '@opentelemetry/api';
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Force pretty (default: when stderr is a TTY and not CI). */
  pretty?: boolean;
  /** Destination file descriptor (default 2: logs never mix with command output on stdout). */
  fd?: number;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const fd = opts.fd ?? 2;
  const pretty = opts.pretty ?? (process.stderr.isTTY === true && !process.env.CI);
  const mixin = (): Record<string, string> => {
    const span = trace.getActiveSpan();
    if (!span) return {};
    const c = span.spanContext();
    return { trace_id: c.traceId, span_id: c.spanId };
  };
  if (pretty) {
    return pino({ name: opts.name, level, mixin, transport: { target: 'pino-pretty', options: { destination: fd, colorize: true } } });
  }
  return pino({ name: opts.name, level, mixin }, pino.destination({ fd, sync: true }));
}
