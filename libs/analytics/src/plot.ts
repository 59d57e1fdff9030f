// A bar chart as SVG, rasterised to PNG by resvg (no browser, no canvas): the class-share plots.
import { Resvg } from '@resvg/resvg-js';

export interface BarChart {
  title: string;
  labels: readonly string[];
  /** One value per label, >= 0. */
  values: readonly number[];
  yLabel?: string;
  width?: number;
  height?: number;
}

export const BAR_COLOR = '#1f77b4';
export const CHART_SIZE = { width: 900, height: 600 } as const;
const M = { left: 80, right: 20, top: 50, bottom: 160 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A tick step of 1, 2 or 5 x 10^k giving about 5 ticks up to `max`. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** The plot area in pixels (bars are drawn inside it). */
export function plotArea(width: number = CHART_SIZE.width, height: number = CHART_SIZE.height) {
  return { x: M.left, y: M.top, width: width - M.left - M.right, height: height - M.top - M.bottom };
}

export function barChartSvg(c: BarChart): string {
  if (c.labels.length !== c.values.length) throw new Error(`bar chart '${c.title}': ${c.labels.length} labels but ${c.values.length} values`);
  const width = c.width ?? CHART_SIZE.width;
  const height = c.height ?? CHART_SIZE.height;
  const area = plotArea(width, height);
  const maxV = Math.max(0, ...c.values.filter(Number.isFinite));
  const step = maxV > 0 ? niceStep(maxV) : 0.2;
  const top = maxV > 0 ? Math.ceil(maxV / step) * step : 1;
  const y = (v: number) => area.y + area.height - (v / top) * area.height;
  const slot = area.width / Math.max(1, c.values.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="${M.top / 2 + 6}" font-size="18" text-anchor="middle">${esc(c.title)}</text>`,
  ];
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let t = 0; t <= top + step / 2; t += step) {
    const ty = y(t);
    parts.push(`<line x1="${area.x}" y1="${ty}" x2="${area.x + area.width}" y2="${ty}" stroke="#dddddd"/>`);
    parts.push(`<text x="${area.x - 6}" y="${ty + 4}" font-size="12" text-anchor="end">${t.toFixed(decimals)}</text>`);
  }
  c.values.forEach((v, i) => {
    const h = Number.isFinite(v) && v > 0 ? area.y + area.height - y(v) : 0;
    const bx = area.x + i * slot + slot * 0.1;
    parts.push(`<rect x="${bx}" y="${area.y + area.height - h}" width="${slot * 0.8}" height="${h}" fill="${BAR_COLOR}"/>`);
    const lx = area.x + i * slot + slot / 2;
    const ly = area.y + area.height + 8;
    parts.push(`<text transform="translate(${lx + 4} ${ly}) rotate(-90)" font-size="12" text-anchor="end">${esc(c.labels[i]!)}</text>`);
  });
  parts.push(`<line x1="${area.x}" y1="${area.y + area.height}" x2="${area.x + area.width}" y2="${area.y + area.height}" stroke="#000000"/>`);
  parts.push(`<line x1="${area.x}" y1="${area.y}" x2="${area.x}" y2="${area.y + area.height}" stroke="#000000"/>`);
  if (c.yLabel) {
    parts.push(`<text transform="translate(18 ${area.y + area.height / 2}) rotate(-90)" font-size="13" text-anchor="middle">${esc(c.yLabel)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export function renderPng(svg: string): Buffer {
  const r = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return r.render().asPng();
}
