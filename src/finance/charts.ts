import type { TopLevelSpec } from 'vega-lite';
import type { chartData } from './ledger.js';

type ChartData = Awaited<ReturnType<typeof chartData>>;

/**
 * Renders a Vega-Lite spec to an SVG string on the server: readable without JavaScript. Vega and
 * Vega-Lite are loaded on the first chart, not at start-up (together about as long to import as the
 * rest of the first page's modules: docs/benchmarks.md, start-up).
 */
async function toSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const money = (minor: number) => minor / 100; // display only: the chart's axis is in major units

/**
 * Revenue per period stacked by product, with refunds drawn below the axis, for one currency.
 * Amounts are shown in major units; every total in the tables stays in exact minor units.
 */
export function revenueChart(data: ChartData, currency: string): Promise<string> {
  const values = [
    ...data.revenue.filter((r) => r.currency === currency).map((r) => ({ period: r.period, series: r.product, amount: money(r.gross) })),
    ...data.revenue
      .filter((r) => r.currency === currency && r.refunded > 0)
      .map((r) => ({ period: r.period, series: 'refunds', amount: -money(r.refunded) })),
  ];
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Revenue per ${data.group} (${currency.toUpperCase()}), refunds below the axis`,
    width: 640,
    height: 240,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'period', type: 'ordinal', title: null, axis: { labelAngle: -45 } },
      y: { field: 'amount', type: 'quantitative', aggregate: 'sum', title: currency.toUpperCase(), stack: 'zero' },
      color: { field: 'series', type: 'nominal', title: 'Product', scale: { scheme: 'tableau10' } },
      tooltip: [{ field: 'period' }, { field: 'series' }, { field: 'amount', aggregate: 'sum', format: ',.2f' }],
    },
  });
}

/** New and returning buyers per period. */
export function buyersChart(data: ChartData): Promise<string> {
  const values = data.buyers.flatMap((b) => [
    { period: b.period, kind: 'new', buyers: b.new_buyers },
    { period: b.period, kind: 'returning', buyers: b.returning_buyers },
  ]);
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Buyers per ${data.group}: new and returning`,
    width: 640,
    height: 180,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'period', type: 'ordinal', title: null, axis: { labelAngle: -45 } },
      xOffset: { field: 'kind' },
      y: { field: 'buyers', type: 'quantitative', title: 'Buyers' },
      color: { field: 'kind', type: 'nominal', title: null },
    },
  });
}
