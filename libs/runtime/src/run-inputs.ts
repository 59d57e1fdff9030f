// A run's inputs as handlers read them: from the run-inputs object store, by the reference its
// hls.run.requested spec carries, checked against the SHA-256 there. Errors name the run and the object.
import { ObjectStoreError, type ObjectBucket } from '@hls/bus';
import { PermanentError, TransientError } from './errors.ts';
import { RUN_INPUT_FILES, runInputObject, type EventOf, type RunInputName, type RunInputRef } from '@hls/contracts';

export interface RunInput {
  ref: RunInputRef;
  bytes: Uint8Array;
  /** What messages call it: the file it was uploaded from, else the object name. */
  label: string;
}

export const runInputLabel = (ref: RunInputRef): string => ref.source ?? ref.object;

/**
 * One input of a run, or null when the run has none of that kind (no twin, no reclass table). A missing or
 * altered object is permanent (submit uploads before it publishes); a connection problem is transient.
 */
export async function readRunInput(store: ObjectBucket, run: EventOf<'hls.run.requested'>, input: RunInputName): Promise<RunInput | null> {
  const ref = run.inputs[input];
  if (!ref) return null;
  try {
    return { ref, bytes: await store.get(ref), label: runInputLabel(ref) };
  } catch (e) {
    const msg = `run ${run.runId}: input ${input} (${runInputLabel(ref)}): ${(e as Error).message}`;
    throw e instanceof ObjectStoreError ? new PermanentError(msg, { cause: e }) : new TransientError(msg, { cause: e });
  }
}

/** One input's bytes before upload, and the file they came from (for messages). */
export interface RunInputData {
  bytes: Uint8Array;
  source?: string;
}

/**
 * Store a run's inputs under `<runId>/...` and return their references. An object that already holds the same
 * bytes is not sent again, so a redelivered or resumed submit of the same run uploads nothing.
 */
export async function uploadRunInputs(
  store: ObjectBucket,
  runId: string,
  data: { [K in RunInputName]?: RunInputData },
): Promise<{ refs: { [K in RunInputName]?: RunInputRef }; uploaded: RunInputName[] }> {
  const refs: { [K in RunInputName]?: RunInputRef } = {};
  const uploaded: RunInputName[] = [];
  for (const input of Object.keys(RUN_INPUT_FILES) as RunInputName[]) {
    const d = data[input];
    if (!d) continue;
    const r = await store.put(runInputObject(runId, input), d.bytes);
    refs[input] = { ...r.ref, ...(d.source ? { source: d.source } : {}) };
    if (r.uploaded) uploaded.push(input);
  }
  return { refs, uploaded };
}
