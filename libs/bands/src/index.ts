export { BandSourceError, safeUrl } from './errors.ts';
export { tiffHeaderProblem } from './tiff-header.ts';
export { hashFile, hashName } from './checksum.ts';
export { localBand, localCandidates, type LocalBand } from './local.ts';
export { HttpsBandSource, httpsPartPath, type HttpsResult, type HttpsSettings } from './https.ts';
export { BandSources, bandSourceSettings, bandUnavailableReason, type BandOutcome, type BandRequest, type BandSourceSettings } from './sources.ts';
export { retrieveAll, type RetrieveOutcome, type RetrieveProgress } from './retrieve.ts';
