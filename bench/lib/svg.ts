/** Tiny dependency-free SVG charts for bench/results. */

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { top: 48, right: 24, bottom: 64, left: 64 };
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (value: number) =>
  Number.isInteger(value) || Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 10
      ? value.toFixed(1)
      : value.toFixed(2);

function frame(title: string, subtitle: string | undefined, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    subtitle
      ? `<text x="${WIDTH / 2}" y="38" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`
      : '',
    body,
    '</svg>',
    '',
  ].join('\n');
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function yAxis(max: number, unit: string): string {
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i += 1) {
    const value = (max * i) / 4;
    const y = MARGIN.top + plotH - (plotH * i) / 4;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end" fill="#444">${fmt(value)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#444">${escapeXml(unit)}</text>`,
  );
  return parts.join('\n');
}

function logYAxis(decades: number, unit: string): string {
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts: string[] = [];
  for (let i = 0; i <= decades; i += 1) {
    const y = MARGIN.top + plotH - (plotH * i) / decades;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end" fill="#444">${fmt(10 ** i)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#444">${escapeXml(`${unit} (log scale)`)}</text>`,
  );
  return parts.join('\n');
}

/** Bars with their values on top; an optional dashed target line. */
export function barChart(options: {
  title: string;
  subtitle?: string;
  unit: string;
  bars: Array<{ label: string; value: number }>;
  target?: { value: number; label: string };
}): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = niceMax(Math.max(...options.bars.map((bar) => bar.value), options.target?.value ?? 0) * 1.1);
  const slot = plotW / Math.max(1, options.bars.length);
  const parts = [yAxis(max, options.unit)];
  options.bars.forEach((bar, i) => {
    const h = (plotH * Math.max(0, bar.value)) / max;
    const x = MARGIN.left + i * slot + slot * 0.15;
    const y = MARGIN.top + plotH - h;
    parts.push(
      `<rect x="${x}" y="${y}" width="${slot * 0.7}" height="${h}" fill="${COLOURS[i % COLOURS.length]}"/>`,
      `<text x="${x + slot * 0.35}" y="${y - 4}" text-anchor="middle">${fmt(bar.value)}</text>`,
      `<text x="${x + slot * 0.35}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" fill="#444">${escapeXml(bar.label)}</text>`,
    );
  });
  if (options.target) {
    const y = MARGIN.top + plotH - (plotH * options.target.value) / max;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#111" stroke-dasharray="6 4"/>`,
      `<text x="${WIDTH - MARGIN.right}" y="${y - 4}" text-anchor="end">${escapeXml(options.target.label)}</text>`,
    );
  }
  return frame(options.title, options.subtitle, parts.join('\n'));
}

/** Lines over a numeric x axis; an optional dashed target line. */
export function lineChart(options: {
  title: string;
  subtitle?: string;
  xLabel: string;
  unit: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
  target?: { value: number; label: string };
  /** Logarithmic y axis (decades), for latencies spanning ms to s. */
  logY?: boolean;
}): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xs = options.series.flatMap((series) => series.points.map(([x]) => x));
  const ys = options.series.flatMap((series) => series.points.map(([, y]) => y));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const max = niceMax(Math.max(...ys, options.target?.value ?? 0) * 1.1);
  const px = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const decades = Math.max(1, Math.ceil(Math.log10(Math.max(...ys, options.target?.value ?? 1, 10))));
  const py = options.logY
    ? (y: number) =>
        MARGIN.top + plotH - (plotH * Math.min(decades, Math.max(0, Math.log10(Math.max(y, 1))))) / decades
    : (y: number) => MARGIN.top + plotH - (plotH * Math.min(y, max)) / max;
  const parts = [options.logY ? logYAxis(decades, options.unit) : yAxis(max, options.unit)];
  for (const x of [...new Set(xs)]) {
    parts.push(
      `<text x="${px(x)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" fill="#444">${fmt(x)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - MARGIN.bottom + 34}" text-anchor="middle" fill="#444">${escapeXml(options.xLabel)}</text>`,
  );
  options.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const path = series.points
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [x, y] of series.points)
      parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${colour}"/>`);
    const lx = MARGIN.left + 8 + i * 110;
    parts.push(
      `<rect x="${lx}" y="${HEIGHT - 20}" width="10" height="10" fill="${colour}"/>`,
      `<text x="${lx + 14}" y="${HEIGHT - 11}">${escapeXml(series.name)}</text>`,
    );
  });
  if (options.target) {
    const y = py(options.target.value);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#111" stroke-dasharray="6 4"/>`,
      `<text x="${WIDTH - MARGIN.right}" y="${y - 4}" text-anchor="end">${escapeXml(options.target.label)}</text>`,
    );
  }
  return frame(options.title, options.subtitle, parts.join('\n'));
}
