export { parseCid, verifyBlock, hashMatches, cidOfBlock, CODEC_RAW, CODEC_DAG_PB, CID } from './cid.ts';
export { BlockVerificationError, CidUnavailableError, UnsupportedDagError, describeContext, isUnreachable, type FetchContext } from './errors.ts';
export { FsBlockStore, MemoryBlockStore, BlockNotFoundError, type BlockStore } from './blockstore.ts';
export { KUBO_CIDV1_IMPORT, importFile, importDirectory, cidOfBytes, type ImportedFile, type ImportedTree } from './importer.ts';
export { type RangedFile, type OpenFileOptions } from './ranged-file.ts';
export { Fetcher, partPathFor, removePart, type FetcherOptions, type FetchOptions, type FetchProgress, type FetchResult } from './fetcher.ts';
export { createFetcher, sourcesFor, settingsWithFlags, type IpfsSettings, type BackendFlags } from './backends.ts';
export { gatewaySource, RAW_BLOCK_MEDIA_TYPE, CAR_MEDIA_TYPE } from './sources/gateway.ts';
export { kuboSource } from './sources/kubo.ts';
export { BlockMissingError, BlockTooLargeError, RangeUnsupportedError, type BlockSource, type RangeBlocks } from './sources/types.ts';
export { writeCidMapping, mappingEntries, type CidMappingEntry } from './mapping.ts';
export { startProvider, type Provider, type ProviderOptions } from './provider/provider.ts';
export { makeFaults, type Faults, type FaultOptions } from './provider/faults.ts';
export {
  grabCids,
  checkCids,
  readTilePayloads,
  writeTilePayloads,
  bandRefs,
  type BandRef,
  type CheckOutcome,
  type GrabResult,
} from './cids.ts';
