// The paper page's figures with uPlot: (a) loss curves with seed bands, (b) the update-histogram
// heat maps, (c) final loss vs learning rate. Axes come from demo/lib/ticks.mjs, as in the Node
// demo's SVGs: ends and ticks on round numbers, fitted to the data.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { linearTicks, logTicks } from '../../lib/ticks.mjs';

export const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];
const HEIGHT = 340;

const fg = () => getComputedStyle(document.body).color;
const tickLabel = (v) => (v === null ? '' : String(+v.toPrecision(2))); // uPlot passes null for a tick it hides
const widthOf = (el) => Math.max(280, el.clientWidth);

/** The finite values of some arrays (nulls and Infinity out), optionally only > 0. */
const finite = (arrays, positive) =>
  arrays.flat().filter((v) => v !== null && Number.isFinite(v) && (!positive || v > 0));

/** The axis's range, a hair wider on a log scale: uPlot drops a tick that rounding puts just outside. */
const widen = ({ min, max }, log) => (log ? [min * (1 - 1e-9), max * (1 + 1e-9)] : [min, max]);

/** An axis object for uPlot whose tick values are `axis().ticks`. */
function axisOf(label, axis, side) {
  return {
    label,
    stroke: fg,
    grid: { stroke: '#8883', width: 1 },
    ticks: { stroke: '#8886', width: 1 },
    splits: () => axis().ticks,
    filter: (_u, splits) => splits, // every tick labelled (uPlot's log axes otherwise keep only some)
    values: (_u, vs) => vs.map(tickLabel),
    ...(side === 'y' && { size: 56 }),
  };
}

/**
 * A line chart with min-max bands: series [{ label, color, width?, dash?, points? (dots on the line) }];
 * fitX: the x axis spans only the points drawn. update({ x, lines:
 * [{ med, lo, hi }] }) redraws; `hi` null means the band reaches the top (a diverged seed).
 * Returns { update, points() (non-null median points drawn) }.
 */
export function lineChart(el, { xlabel, ylabel, xlog = false, ylog = false, fitX = false, series }) {
  let xAxis = { min: 0, max: 1, ticks: [0, 1] };
  let yAxis = { min: 1, max: 10, ticks: [1, 10] };
  let drawn = 0;
  const opts = {
    width: widthOf(el),
    height: HEIGHT,
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false, distr: xlog ? 3 : 1, log: 10, range: () => widen(xAxis, xlog) },
      y: { distr: ylog ? 3 : 1, log: 10, range: () => widen(yAxis, ylog) },
    },
    axes: [axisOf(xlabel, () => xAxis, 'x'), axisOf(ylabel, () => yAxis, 'y')],
    series: [
      {},
      ...series.flatMap((s) => [
        {
          stroke: s.color,
          width: s.width ?? 2,
          dash: s.dash,
          spanGaps: true,
          points: { show: !!s.points, size: 7, fill: s.color },
        },
        { stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } },
        { stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } },
      ]),
    ],
    bands: series.map((s, k) => ({ series: [2 + 3 * k, 3 + 3 * k], fill: `${s.color}26` })),
  };
  const empty = [[], ...series.flatMap(() => [[], [], []])];
  const u = new uPlot(opts, empty, el);
  new ResizeObserver(() => u.setSize({ width: widthOf(el), height: HEIGHT })).observe(el);
  return {
    update({ x, lines }) {
      // fitX: only the x where something is drawn (as the SVGs); else all of x (steps still to come).
      const shown = (i) => lines.some((l) => finite([[l.med[i], l.lo[i]]], ylog).length);
      const xs = finite([fitX ? x.filter((_, i) => shown(i)) : x], xlog);
      const ys = finite(
        lines.flatMap((l) => [l.med, l.lo, l.hi]),
        ylog,
      );
      if (!xs.length || !ys.length) return;
      xAxis = (xlog ? logTicks : linearTicks)(Math.min(...xs), Math.max(...xs));
      yAxis = (ylog ? logTicks : linearTicks)(Math.min(...ys), Math.max(...ys));
      const clean = (ys) => ys.map((v) => (v !== null && Number.isFinite(v) && (!ylog || v > 0) ? v : null));
      drawn = lines.reduce((n, l) => n + clean(l.med).filter((v) => v !== null).length, 0);
      u.setData([
        x,
        ...lines.flatMap((l) => [
          clean(l.med),
          l.hi.map((v, i) => (clean(l.lo)[i] === null ? null : (clean([v])[0] ?? yAxis.max))),
          clean(l.lo),
        ]),
      ]);
    },
    points: () => drawn,
  };
}

/**
 * Heat maps of log10 |Δθ| per step, one panel per arm: x = step, y = histogram bin (bin 0 at the
 * bottom: no change), shade = the bin's share of the column (square root, so thin tails show).
 * update(panels: number[][][]) redraws (panels[p][step][bin]). Returns { update, cells() }.
 */
export function heatmaps(el, { titles, steps, bins, binLabel }) {
  let data = titles.map(() => []);
  const plots = titles.map((title, p) => {
    const box = document.createElement('div');
    box.className = 'panel';
    const h = document.createElement('div');
    h.className = 'panel-title';
    h.textContent = title;
    box.append(h);
    el.append(box);
    const draw = (u) => {
      const { ctx } = u;
      const cols = data[p];
      const x0 = u.valToPos(0.5, 'x', true),
        x1 = u.valToPos(1.5, 'x', true);
      const y0 = u.valToPos(0, 'y', true),
        y1 = u.valToPos(1, 'y', true);
      const cw = x1 - x0,
        ch = y0 - y1;
      ctx.save();
      cols.forEach((col, t) => {
        const sum = col.reduce((a, b) => a + b, 0) || 1;
        col.forEach((c, k) => {
          if (!c) return;
          const g = Math.round(255 * (1 - Math.sqrt(c / sum)));
          ctx.fillStyle = `rgb(${g},${g},255)`;
          ctx.fillRect(u.valToPos(t + 0.5, 'x', true), u.valToPos(k + 1, 'y', true), cw + 0.5, ch + 0.5);
        });
      });
      ctx.restore();
    };
    const xt = linearTicks(1, steps, 4).ticks.filter((v) => v >= 1 && v <= steps);
    const opts = {
      width: Math.max(200, Math.floor(el.clientWidth / titles.length) - 12),
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: () => [0.5, steps + 0.5] }, y: { range: () => [0, bins + 1] } },
      axes: [
        { label: 'step', stroke: fg, grid: { show: false }, splits: () => [1, ...xt.filter((v) => v > 1)] },
        {
          label: p === 0 ? 'log10 |Δθ| (bottom row: no change)' : '',
          stroke: fg,
          size: 56,
          grid: { show: false },
          splits: () => Array.from({ length: bins + 1 }, (_, k) => k).filter((k) => binLabel(k) !== null),
          values: (_u, vs) => vs.map((k) => binLabel(k)),
        },
      ],
      series: [{}, { show: false }],
      hooks: { draw: [draw] },
    };
    return { u: new uPlot(opts, [[], []], box), box };
  });
  new ResizeObserver(() => {
    for (const { u } of plots)
      u.setSize({ width: Math.max(200, Math.floor(el.clientWidth / titles.length) - 12), height: HEIGHT });
  }).observe(el);
  return {
    update(panels) {
      data = panels;
      for (const { u } of plots) u.redraw(false);
    },
    cells: () => data.reduce((n, cols) => n + cols.reduce((m, col) => m + col.filter((c) => c > 0).length, 0), 0),
  };
}
