// Prometheus text-format metrics of a service process: handled, failed, in flight, handler latency.
const BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

type Labels = Record<string, string>;
const key = (l: Labels): string => JSON.stringify(Object.entries(l).sort());
const fmt = (l: Labels): string => `{${Object.entries(l).map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;

export class ServiceMetrics {
  #handled = new Map<string, { labels: Labels; n: number }>();
  #inflight = new Map<string, { labels: Labels; n: number }>();
  #hist = new Map<string, { labels: Labels; counts: number[]; sum: number; n: number }>();

  start(service: string, subject: string): void {
    const l = { service, subject };
    const e = this.#inflight.get(key(l)) ?? { labels: l, n: 0 };
    e.n++;
    this.#inflight.set(key(l), e);
  }

  finish(service: string, subject: string, outcome: 'ok' | 'retry' | 'dlq', seconds: number): void {
    const l = { service, subject };
    const f = this.#inflight.get(key(l));
    if (f) f.n = Math.max(0, f.n - 1);
    const hl = { service, subject, outcome };
    const h = this.#handled.get(key(hl)) ?? { labels: hl, n: 0 };
    h.n++;
    this.#handled.set(key(hl), h);
    const x = this.#hist.get(key(l)) ?? { labels: l, counts: BUCKETS.map(() => 0), sum: 0, n: 0 };
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) x.counts[i] = (x.counts[i] ?? 0) + 1;
    });
    x.sum += seconds;
    x.n++;
    this.#hist.set(key(l), x);
  }

  get inFlight(): number {
    let n = 0;
    for (const e of this.#inflight.values()) n += e.n;
    return n;
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP hls_messages_handled_total Messages handled, by outcome (ok, retry, dlq).', '# TYPE hls_messages_handled_total counter');
    for (const e of this.#handled.values()) out.push(`hls_messages_handled_total${fmt(e.labels)} ${e.n}`);
    out.push('# HELP hls_messages_failed_total Messages that went to the DLQ.', '# TYPE hls_messages_failed_total counter');
    for (const e of this.#handled.values()) if (e.labels.outcome === 'dlq') out.push(`hls_messages_failed_total${fmt({ service: e.labels.service ?? '', subject: e.labels.subject ?? '' })} ${e.n}`);
    out.push('# HELP hls_messages_in_flight Messages being handled now.', '# TYPE hls_messages_in_flight gauge');
    for (const e of this.#inflight.values()) out.push(`hls_messages_in_flight${fmt(e.labels)} ${e.n}`);
    out.push('# HELP hls_handler_duration_seconds Handler latency.', '# TYPE hls_handler_duration_seconds histogram');
    for (const h of this.#hist.values()) {
      BUCKETS.forEach((b, i) => out.push(`hls_handler_duration_seconds_bucket${fmt({ ...h.labels, le: String(b) })} ${h.counts[i]}`));
      out.push(`hls_handler_duration_seconds_bucket${fmt({ ...h.labels, le: '+Inf' })} ${h.n}`);
      out.push(`hls_handler_duration_seconds_sum${fmt(h.labels)} ${h.sum}`);
      out.push(`hls_handler_duration_seconds_count${fmt(h.labels)} ${h.n}`);
    }
    return out.join('\n') + '\n';
  }
}
