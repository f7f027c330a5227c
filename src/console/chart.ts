const SVG = 'http://www.w3.org/2000/svg';

/** One sample of a series: when, and the value then. */
export interface Sample {
  time: number;
  value: number;
}

const WIDTH = 480;
const HEIGHT = 140;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

/**
 * A line chart of one series as SVG, scaled to its own maximum, with the latest value in
 * its accessible name (a chart nobody can see must still say what it shows).
 * @example
 * panel.append(lineChart('Backlog', 'messages', samples));
 */
export function lineChart(title: string, unit: string, samples: readonly Sample[]): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  const latest = samples.at(-1);
  const summary = latest === undefined ? 'no samples yet' : `now ${format(latest.value)} ${unit}`;
  svg.setAttribute('aria-label', `${title}: ${summary}`);
  const max = Math.max(1, ...samples.map((s) => s.value));
  const first = samples[0]?.time ?? 0;
  const span = Math.max(1, (latest?.time ?? 1) - first);
  const x = (time: number) => PAD.left + ((time - first) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (value: number) => HEIGHT - PAD.bottom - (value / max) * (HEIGHT - PAD.top - PAD.bottom);
  add(svg, 'line', { x1: PAD.left, y1: y(0), x2: WIDTH - PAD.right, y2: y(0), class: 'axis' });
  add(svg, 'text', { x: PAD.left - 4, y: y(max) + 4, 'text-anchor': 'end', class: 'tick' }).textContent = format(max);
  add(svg, 'text', { x: PAD.left - 4, y: y(0), 'text-anchor': 'end', class: 'tick' }).textContent = '0';
  add(svg, 'text', { x: WIDTH - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end', class: 'tick' }).textContent = summary;
  if (samples.length > 1) {
    const points = samples.map((s) => `${x(s.time).toFixed(1)},${y(s.value).toFixed(1)}`).join(' ');
    add(svg, 'polyline', { points, class: 'line' });
  }
  return svg;
}

function add(parent: Element, tag: string, attributes: Record<string, string | number>): Element {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  parent.appendChild(element);
  return element;
}

function format(value: number): string {
  return value >= 10_000 ? `${Math.round(value / 1_000)}k` : String(Math.round(value * 10) / 10);
}
