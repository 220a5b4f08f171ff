import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  DoughnutController,
  ArcElement,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

// Only what the pages draw: bars (timeline, gate), lines (trends, throughput), doughnuts (traffic).
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  DoughnutController,
  ArcElement,
  CategoryScale,
  LinearScale,
  Filler,
  Legend,
  Title,
  Tooltip,
);
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#334155';
// Live pages redraw every poll; animating each redraw would make the charts flicker.
Chart.defaults.animation = false;

export const palette = ['#2563eb', '#f59e0b', '#16a34a', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

/**
 * A Chart.js chart on a canvas. The chart is created once and updated in place when `config` changes (a live page
 * hands a new config on every poll).
 */
export type AnyChartConfiguration =
  ChartConfiguration<'bar'> | ChartConfiguration<'line'> | ChartConfiguration<'doughnut'>;

export function ChartView(props: { config: AnyChartConfiguration; height?: number; label: string; testId?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | undefined>(undefined);

  useEffect(() => {
    if (!canvas.current) return undefined;
    chart.current = new Chart(canvas.current, withLayout(props.config));
    return () => {
      chart.current?.destroy();
      chart.current = undefined;
    };
    // Created once per chart type; data and options are updated below.
  }, [props.config.type]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const next = withLayout(props.config);
    c.data = next.data;
    c.options = next.options ?? {};
    c.update('none');
  }, [props.config]);

  return (
    <div class="chart" style={{ height: `${props.height ?? 240}px` }} data-testid={props.testId}>
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}

/** Charts fill their box (the box has the height). */
function withLayout(config: AnyChartConfiguration): ChartConfiguration {
  const options = { responsive: true, maintainAspectRatio: false, ...config.options };
  // tsc needs the assertion (a union of per-type configurations is not assignable to the all-types one); the rule
  // reads the generic types differently.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return { ...config, options } as ChartConfiguration;
}
