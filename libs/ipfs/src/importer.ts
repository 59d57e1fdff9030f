// Import files and directories as UnixFS exactly like `ipfs add --cid-version 1` (Kubo): CIDv1, raw leaves,
// 256 KiB fixed-size chunks, balanced DAG with at most 174 links per node, sha2-256, base32 CIDs.
// Hidden files (dot files) are skipped, as Kubo does without --hidden.
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { importer, type ImportCandidate, type ImporterOptions } from 'ipfs-unixfs-importer';
import type { CID } from 'multiformats/cid';
import { nullBlockStore, type BlockStore } from './blockstore.ts';

/** `ipfs add --cid-version 1` defaults: the legacy Kubo profile with CIDv1 (which turns raw leaves on). */
export const KUBO_CIDV1_IMPORT: ImporterOptions = Object.freeze({
  profile: 'unixfs-v0-2015',
  cidVersion: 1,
  rawLeaves: true,
});

export interface ImportedFile {
  /** Path relative to the imported directory, `/`-separated. */
  path: string;
  cid: CID;
  /** File size in bytes. */
  size: number;
}

export interface ImportedTree {
  root: CID;
  files: ImportedFile[];
  /** Entries left out, each with the reason (a broken symlink, a symlink loop, a socket...). */
  skipped: Array<{ path: string; reason: string }>;
}

/** Import one file; returns its root CID (what `ipfs add --cid-version 1 FILE` prints). */
export async function importFile(path: string, store: Pick<BlockStore, 'put'> = nullBlockStore): Promise<ImportedFile> {
  const size = (await stat(path)).size;
  let last: CID | undefined;
  for await (const e of importer([{ content: createReadStream(path) }], store, { ...KUBO_CIDV1_IMPORT })) last = e.cid;
  if (!last) throw new Error(`importing ${path} produced no root`);
  return { path: basename(path), cid: last, size };
}

/** The CID `ipfs add --cid-version 1` gives the bytes (nothing stored). */
export async function cidOfBytes(bytes: Uint8Array): Promise<CID> {
  let last: CID | undefined;
  for await (const e of importer([{ content: bytes }], nullBlockStore, { ...KUBO_CIDV1_IMPORT })) last = e.cid;
  if (!last) throw new Error('import produced no root');
  return last;
}

/**
 * Files and folders under `dir`. Symlinks are followed (as `ipfs add -r --dereference-symlinks` does: granule
 * folders are often links to where the data lives); what cannot be imported is listed with the reason.
 */
async function listTree(dir: string): Promise<{ files: string[]; dirs: string[]; skipped: ImportedTree['skipped'] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  const skipped: ImportedTree['skipped'] = [];
  const seen = new Set<string>([await realpath(dir)]);
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const s = await stat(p);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch (err) {
          skipped.push({ path: relative(dir, p), reason: `broken symlink (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` });
          continue;
        }
      }
      if (isDir) {
        const real = await realpath(p);
        if (seen.has(real)) {
          skipped.push({ path: relative(dir, p), reason: 'symlink loop: the folder is already imported' });
          continue;
        }
        seen.add(real);
        dirs.push(p);
        await walk(p);
      } else if (isFile) files.push(p);
      else skipped.push({ path: relative(dir, p), reason: 'not a regular file or folder' });
    }
  };
  await walk(dir);
  return { files: files.sort(), dirs: dirs.sort(), skipped: skipped.sort((a, b) => (a.path < b.path ? -1 : 1)) };
}

/** Import a directory recursively (`ipfs add -r --cid-version 1 DIR`): the root CID and every file's CID. */
export async function importDirectory(dir: string, store: Pick<BlockStore, 'put'> = nullBlockStore): Promise<ImportedTree> {
  const name = basename(dir);
  const { files, dirs, skipped } = await listTree(dir);
  const rel = (p: string): string => relative(dir, p).split(sep).join('/');
  // Directories are implied by file paths; only empty ones need an entry of their own (an explicit entry for
  // a non-empty one would also store an orphan empty-directory block).
  const hasFiles = (d: string): boolean => files.some((f) => f.startsWith(`${d}${sep}`));
  const candidates: ImportCandidate[] = [
    ...(files.length === 0 ? [{ path: name }] : []),
    ...dirs.filter((d) => !hasFiles(d)).map((d) => ({ path: `${name}/${rel(d)}` })),
    ...files.map((f) => ({ path: `${name}/${rel(f)}`, content: createReadStream(f) })),
  ];
  const sizes = new Map<string, number>();
  for (const f of files) sizes.set(`${name}/${rel(f)}`, (await stat(f)).size);
  const out: ImportedFile[] = [];
  let root: CID | undefined;
  for await (const e of importer(candidates, store, { ...KUBO_CIDV1_IMPORT })) {
    const path = e.path ?? '';
    const size = sizes.get(path);
    if (size !== undefined) out.push({ path: path.slice(name.length + 1), cid: e.cid, size });
    if (e.path === name) root = e.cid;
  }
  if (!root) throw new Error(`importing ${dir} produced no root directory`);
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, files: out, skipped };
}
