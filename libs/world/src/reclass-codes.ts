// The CDL codes a reclass table (cdl_total_dst.csv) knows, so the world only paints codes it maps.
export function parseReclassCodes(text: string): Set<number> {
  const lines = text.trim().split(/\r?\n/);
  const head = (lines[0] ?? '').split(',');
  const col = head.indexOf('old_class_value');
  if (col < 0) throw new Error('reclass table has no old_class_value column');
  const out = new Set<number>();
  for (const l of lines.slice(1)) {
    const v = Number(l.split(',')[col]);
    if (Number.isInteger(v)) out.add(v);
  }
  return out;
}
