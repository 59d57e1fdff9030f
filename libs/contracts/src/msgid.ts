// Deterministic Nats-Msg-Id values: the same logical event always gets the same id, so a redelivered
// handler that publishes again is de-duplicated by JetStream.
import type { Subject } from './subjects.ts';

export function messageId(subject: Subject, runId: string, ...entity: string[]): string {
  return [subject, runId, ...entity].join(':');
}
