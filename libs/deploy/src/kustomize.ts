// Resolve a kustomization the way `kustomize build` gathers its inputs (resources, nested
// kustomizations, configMapGenerator files, patch targets) without applying transforms, validating
// every object on the way. No kustomize binary here, so this is what stands in for `kubectl apply -k
// --dry-run`: a missing file, a typo'd key, an object that fails its schema or a patch whose target
// does not exist is reported with the file at fault.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateK8sObject, validateKustomization } from './schemas.ts';

export interface Problem {
  /** Path relative to the repo root. */
  file: string;
  message: string;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

export interface K8sDoc {
  /** File the object came from (absolute). */
  file: string;
  obj: K8sObject;
  /** For generated ConfigMaps: data key -> absolute path of the file it was generated from. */
  sources?: Record<string, string>;
}

export interface KustomizeBuild {
  objects: K8sDoc[];
  problems: Problem[];
}

export const formatProblem = (p: Problem): string => `${p.file}: ${p.message}`;

/** Parse every YAML document of a file; YAML errors become problems. */
export function readYamlDocs(file: string, root: string): { docs: unknown[]; problems: Problem[] } {
  const rel = relative(root, file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { docs: [], problems: [{ file: rel, message: `cannot read: ${(e as Error).message}` }] };
  }
  const problems: Problem[] = [];
  const docs: unknown[] = [];
  for (const d of parseAllDocuments(text, { merge: true })) {
    if (d.errors.length > 0) problems.push({ file: rel, message: `invalid YAML: ${d.errors[0]?.message.split('\n')[0]}` });
    else if (d.contents !== null) docs.push(d.toJS() as unknown);
  }
  return { docs, problems };
}

function isK8sObject(v: unknown): v is K8sObject {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Partial<K8sObject>;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof o.metadata?.name === 'string';
}

interface KustomizationDoc {
  resources?: string[];
  configMapGenerator?: { name: string; behavior?: 'create' | 'merge' | 'replace'; files?: string[]; literals?: string[] }[];
  patches?: { path?: string; patch?: string; target?: { group?: string; version?: string; kind?: string; name?: string } }[];
}

/** The JSON-pointer path exists in obj (for replace/remove/test) or its parent does (for add). */
function pointerExists(obj: unknown, pointer: string, parentOnly: boolean): boolean {
  const parts = pointer.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  const walk = parentOnly ? parts.slice(0, -1) : parts;
  let node = obj;
  for (const p of walk) {
    if (typeof node !== 'object' || node === null || !(p in node)) return false;
    node = (node as Record<string, unknown>)[p];
  }
  return true;
}

function matchesTarget(o: K8sObject, t: { group?: string; version?: string; kind?: string; name?: string }): boolean {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return (
    (t.group === undefined || t.group === group) &&
    (t.version === undefined || t.version === version) &&
    (t.kind === undefined || t.kind === o.kind) &&
    (t.name === undefined || t.name === o.metadata.name)
  );
}

export function buildKustomization(kdir: string, kroot: string, seen: Set<string> = new Set()): KustomizeBuild {
  const dir = resolve(kdir);
  const root = resolve(kroot);
  const kfile = join(dir, 'kustomization.yaml');
  const rel = relative(root, kfile);
  const problems: Problem[] = [];
  const objects: K8sDoc[] = [];
  if (seen.has(dir)) return { objects, problems: [{ file: rel, message: 'kustomization includes itself (cycle)' }] };
  seen.add(dir);
  if (!existsSync(kfile)) return { objects, problems: [{ file: rel, message: 'no kustomization.yaml' }] };
  const { docs, problems: yp } = readYamlDocs(kfile, root);
  problems.push(...yp);
  const k = docs[0];
  const schemaError = validateKustomization(k);
  if (schemaError) return { objects, problems: [...problems, { file: rel, message: `not a valid Kustomization: ${schemaError}` }] };
  const kust = k as KustomizationDoc;

  const listed = new Set<string>();
  for (const r of kust.resources ?? []) {
    const p = resolve(dir, r);
    if (!existsSync(p)) {
      problems.push({ file: rel, message: `resource ${r} does not exist` });
      continue;
    }
    listed.add(p);
    if (statSync(p).isDirectory()) {
      const sub = buildKustomization(p, root, seen);
      objects.push(...sub.objects);
      problems.push(...sub.problems);
      continue;
    }
    const r2 = readYamlDocs(p, root);
    problems.push(...r2.problems);
    for (const d of r2.docs) {
      const err = validateK8sObject(d);
      if (err) problems.push({ file: relative(root, p), message: `schema: ${err}` });
      if (isK8sObject(d)) objects.push({ file: p, obj: d });
      else problems.push({ file: relative(root, p), message: 'document is not a Kubernetes object (apiVersion, kind, metadata.name)' });
    }
  }

  for (const g of kust.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    const sources: Record<string, string> = {};
    for (const entry of g.files ?? []) {
      const [key, path] = entry.includes('=') ? (entry.split('=', 2) as [string, string]) : [basename(entry), entry];
      const p = resolve(dir, path);
      // kustomize's default load restrictor: generator files must sit inside the kustomization root.
      if (isAbsolute(path) || relative(dir, p).startsWith('..')) {
        problems.push({ file: rel, message: `configMapGenerator ${g.name}: ${path} is outside the kustomization root (kustomize refuses to load it)` });
        continue;
      }
      if (!existsSync(p)) {
        problems.push({ file: rel, message: `configMapGenerator ${g.name}: file ${path} does not exist` });
        continue;
      }
      listed.add(p);
      data[key] = readFileSync(p, 'utf8');
      sources[key] = p;
    }
    for (const lit of g.literals ?? []) {
      const [key, value] = lit.split('=', 2);
      if (key) data[key] = value ?? '';
    }
    // An overlay changes a base's generated ConfigMap with behavior merge (keys added or replaced) or replace.
    const behavior = g.behavior ?? 'create';
    const existing = objects.find((o) => o.obj.kind === 'ConfigMap' && o.obj.metadata.name === g.name);
    if (behavior !== 'create') {
      if (!existing) {
        problems.push({ file: rel, message: `configMapGenerator ${g.name}: behavior ${behavior}, but no ConfigMap ${g.name} comes from the resources` });
        continue;
      }
      const merge = behavior === 'merge';
      existing.obj = { ...existing.obj, data: { ...(merge ? (existing.obj.data as Record<string, string> | undefined) : {}), ...data } };
      const kept = Object.entries(merge ? (existing.sources ?? {}) : {}).filter(([k]) => !(k in data));
      existing.sources = { ...Object.fromEntries(kept), ...sources };
      continue;
    }
    if (existing) problems.push({ file: rel, message: `configMapGenerator ${g.name}: a ConfigMap ${g.name} exists already (an overlay uses behavior: merge or replace)` });
    const cm: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data };
    const err = validateK8sObject(cm);
    if (err) problems.push({ file: rel, message: `generated ConfigMap ${g.name}: ${err}` });
    objects.push({ file: kfile, obj: cm, sources });
  }

  for (const patch of kust.patches ?? []) {
    if (patch.path) {
      const p = resolve(dir, patch.path);
      if (!existsSync(p)) {
        problems.push({ file: rel, message: `patch ${patch.path} does not exist` });
        continue;
      }
      listed.add(p);
      for (const d of readYamlDocs(p, root).docs) {
        if (!isK8sObject(d)) {
          problems.push({ file: relative(root, p), message: 'patch has no apiVersion, kind and metadata.name' });
          continue;
        }
        if (!objects.some((o) => o.obj.kind === d.kind && o.obj.apiVersion === d.apiVersion && o.obj.metadata.name === d.metadata.name))
          problems.push({ file: relative(root, p), message: `patch target ${d.kind} ${d.metadata.name} is not among the resources` });
      }
    } else if (patch.patch !== undefined) {
      const targets = objects.filter((o) => matchesTarget(o.obj, patch.target ?? {}));
      if (targets.length === 0) problems.push({ file: rel, message: `inline patch target ${JSON.stringify(patch.target ?? {})} matches no resource` });
      const ops = parseAllDocuments(patch.patch)[0]?.toJS() as unknown;
      if (Array.isArray(ops)) {
        for (const op of ops as { op?: string; path?: string }[]) {
          if (typeof op.path !== 'string' || !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op.op ?? '')) {
            problems.push({ file: rel, message: `inline JSON patch op ${JSON.stringify(op)} is not a JSON-patch operation` });
            continue;
          }
          for (const t of targets)
            if (!pointerExists(t.obj, op.path, op.op === 'add'))
              problems.push({ file: rel, message: `inline patch ${op.op} ${op.path}: path not in ${t.obj.kind} ${t.obj.metadata.name}` });
        }
      }
    }
  }

  // A manifest next to the kustomization that it does not list is never applied: say so.
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (/\.ya?ml$/.test(f) && f !== 'kustomization.yaml' && !listed.has(p) && statSync(p).isFile())
      problems.push({ file: relative(root, p), message: `not listed in ${rel} (resources, patches or generator files)` });
  }
  return { objects, problems };
}
