// A small SVG line chart (log or linear axes) for the demo's plots.
import { linearTicks, logTicks } from './ticks.mjs';

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * series: [{ label, points: [[x, y]], color?, dash?, width? }]; bands: optional [{ color, lo: [[x,y]], hi: [[x,y]] }].
 * The axes fit the series and the bands' finite values, ends and ticks on round numbers (ticks.mjs);
 * a band's hi that is null (a diverged seed) reaches the top of the plot.
 */
export function lineChart({
  title,
  xlabel,
  ylabel,
  series,
  xlog = false,
  ylog = false,
  width = 720,
  height = 420,
  bands = [],
  legendWidth = 200,
}) {
  const L = 70,
    R = legendWidth,
    T = 40,
    B = 50;
  const usable = ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!ylog || y > 0);
  const pts = series
    .flatMap((s) => s.points)
    .concat(bands.flatMap((b) => [...b.lo, ...b.hi]))
    .filter(usable);
  const axis = (vs, log) => (log ? logTicks : linearTicks)(Math.min(...vs), Math.max(...vs));
  const xa = axis(
    pts.map((p) => p[0]),
    xlog,
  );
  const ya = axis(
    pts.map((p) => p[1]),
    ylog,
  );
  const fx = xlog ? Math.log10 : (v) => v,
    fy = ylog ? Math.log10 : (v) => v;
  const [x0, x1] = [fx(xa.min), fx(xa.max)];
  const [y0, y1] = [fy(ya.min), fy(ya.max)];
  const X = (v) => L + ((fx(v) - x0) / (x1 - x0)) * (width - L - R);
  const Y = (v) => T + ((y1 - fy(v)) / (y1 - y0)) * (height - T - B);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const v of ya.ticks)
    out.push(
      `<line x1="${L}" x2="${width - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end">${esc(+v.toPrecision(2))}</text>`,
    );
  for (const v of xa.ticks)
    out.push(
      `<line x1="${X(v)}" x2="${X(v)}" y1="${T}" y2="${height - B}" stroke="#eee"/>`,
      `<text x="${X(v)}" y="${height - B + 16}" text-anchor="middle">${esc(+v.toPrecision(2))}</text>`,
    );
  out.push(
    `<text x="${(L + width - R) / 2}" y="${height - 14}" text-anchor="middle">${esc(xlabel)}</text>`,
    `<text transform="translate(16 ${(T + height - B) / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`,
  );
  for (const b of bands) {
    // Where every seed diverged there is no band; where some did, it reaches the top of the plot.
    const keep = b.lo.map((p) => usable(p));
    const lo = b.lo.filter((_, i) => keep[i]),
      hi = b.hi.filter((_, i) => keep[i]).map(([x, y]) => [x, usable([x, y]) ? y : ya.max]);
    const poly = [...lo, ...hi.reverse()].map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    out.push(`<polygon points="${poly}" fill="${b.color}" fill-opacity="0.15" stroke="none"/>`);
  }
  series.forEach((s, k) => {
    const c = s.color ?? COLORS[k % COLORS.length];
    const good = s.points.filter(([_x, y]) => Number.isFinite(y) && (!ylog || y > 0));
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="${s.width ?? 2.2}"${s.dash ? ' stroke-dasharray="6,4"' : ''} points="${good.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`,
    );
    if (good.length <= 12)
      for (const [x, y] of good)
        out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3.5" fill="${c}"/>`);
    out.push(
      `<line x1="${width - R + 14}" x2="${width - R + 40}" y1="${T + 10 + k * 20}" y2="${T + 10 + k * 20}" stroke="${c}" stroke-width="3"${s.dash ? ' stroke-dasharray="6,4"' : ''}/>`,
      `<text x="${width - R + 46}" y="${T + 14 + k * 20}">${esc(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

export const colorOf = (k) => COLORS[k % COLORS.length];

/**
 * Heat maps side by side, one per panel: x = step, y = histogram bin, shade = the share of the
 * column's counts in the bin (square-root scale, so that thin tails stay visible).
 * panels: [{ title, columns: number[][] }] (columns[step][bin], bin 0 at the bottom);
 * binLabel(k) names bin k's lower edge or returns null (no tick).
 */
export function heatmaps({ title, panels, xlabel, ylabel, binLabel, panelWidth = 300, height = 380 }) {
  const L = 64,
    gap = 24,
    T = 56,
    B = 44;
  const width = L + panels.length * (panelWidth + gap);
  const plotH = height - T - B;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${L}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text transform="translate(16 ${T + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = L + p * (panelWidth + gap);
    const cols = panel.columns;
    const nb = cols[0]?.length ?? 1;
    const cw = panelWidth / Math.max(1, cols.length),
      ch = plotH / nb;
    out.push(
      `<text x="${x0 + panelWidth / 2}" y="${T - 10}" text-anchor="middle" font-weight="bold">${esc(panel.title)}</text>`,
    );
    out.push(`<rect x="${x0}" y="${T}" width="${panelWidth}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>`);
    cols.forEach((col, i) => {
      const sum = col.reduce((a, b) => a + b, 0) || 1;
      col.forEach((c, k) => {
        if (!c) return;
        const shade = Math.sqrt(c / sum);
        const g = Math.round(255 * (1 - shade));
        out.push(
          `<rect x="${(x0 + i * cw).toFixed(1)}" y="${(T + (nb - 1 - k) * ch).toFixed(1)}" width="${(cw + 0.3).toFixed(1)}" height="${(ch + 0.3).toFixed(1)}" fill="rgb(${g},${g},255)"/>`,
        );
      });
    });
    for (let k = 0; k < nb; k++) {
      const label = binLabel(k);
      if (label === null || p > 0) continue;
      const y = T + (nb - k) * ch;
      out.push(`<text x="${x0 - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(label)}</text>`);
    }
    const steps = cols.length;
    for (const s of [1, Math.round(steps / 2), steps])
      out.push(`<text x="${(x0 + (s - 0.5) * cw).toFixed(1)}" y="${T + plotH + 16}" text-anchor="middle">${s}</text>`);
    out.push(`<text x="${x0 + panelWidth / 2}" y="${height - 10}" text-anchor="middle">${esc(xlabel)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
