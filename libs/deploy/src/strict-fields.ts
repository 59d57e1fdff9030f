// Unknown fields. The OpenAPI schemas leave objects open (additionalProperties unset), so a typo like
// `imagePullPolicyy` passes them, while kubectl's strict field validation rejects it. The TypeScript
// interfaces kubernetes-models generates from the same OpenAPI are closed, and TypeScript's excess
// property check on an object literal is exactly "unknown field": type-check each manifest as a literal.
import ts from 'typescript';
import { dirname, join } from 'node:path';

/** `apiVersion/kind` -> module and interface of its kubernetes-models type. */
const TYPES: Record<string, [string, string]> = {
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Namespace': ['kubernetes-models/v1/Namespace', 'INamespace'],
  'v1/PersistentVolumeClaim': ['kubernetes-models/v1/PersistentVolumeClaim', 'IPersistentVolumeClaim'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'keda.sh/v1alpha1/ScaledObject': ['@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject', 'IScaledObject'],
};

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2023,
  types: [],
  lib: ['lib.es2023.d.ts'],
};

let previous: ts.Program | undefined;

/**
 * For each object, the field errors TypeScript finds (unknown fields, wrong shapes), [] when clean.
 * Objects of kinds without a type are returned as [] (their schema check reports the kind).
 */
export function strictFieldErrors(objects: readonly unknown[]): string[][] {
  const result: string[][] = objects.map(() => []);
  const imports = new Map<string, string>();
  const lines: string[] = [];
  const lineToIndex: number[] = [];
  objects.forEach((obj, i) => {
    const o = obj as { apiVersion?: unknown; kind?: unknown };
    const t = TYPES[`${String(o.apiVersion)}/${String(o.kind)}`];
    if (!t) return;
    const [mod, name] = t;
    const alias = `T${imports.size}`;
    if (![...imports.values()].includes(`${name}:${mod}`)) imports.set(alias, `${name}:${mod}`);
    const use = [...imports.entries()].find(([, v]) => v === `${name}:${mod}`)?.[0] as string;
    // One object per line, so a diagnostic's line says which object it is about.
    lines.push(`export const o${i}: ${use} = ${JSON.stringify(obj)};`);
    lineToIndex.push(i);
  });
  if (lines.length === 0) return result;
  const header = [...imports.entries()].map(([alias, v]) => {
    const [name, mod] = v.split(':') as [string, string];
    return `import type { ${name} as ${alias} } from '${mod}';`;
  });
  const text = [...header, ...lines].join('\n');
  // The virtual file sits in this package, so the imports resolve through its node_modules.
  const file = join(dirname(import.meta.filename), '__manifests__.ts');
  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === file ? ts.createSourceFile(name, text, lang, true) : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? text : readFile(name));
  // Reusing the previous program keeps the parsed lib and kubernetes-models declarations (seconds).
  const program = ts.createProgram([file], OPTIONS, host, previous);
  previous = program;
  const source = program.getSourceFile(file);
  for (const d of ts.getPreEmitDiagnostics(program, source)) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file?.fileName !== file || d.start === undefined) throw new Error(`type-checking manifests: ${msg}`);
    const line = d.file.getLineAndCharacterOfPosition(d.start).line - header.length;
    const index = lineToIndex[line];
    if (index === undefined) throw new Error(`type-checking manifests: ${msg}`);
    // The deepest message names the field; the chain above it only repeats the outer types.
    const detail = msg.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? msg;
    (result[index] as string[]).push(detail);
  }
  return result;
}
