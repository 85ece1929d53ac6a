import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  stroke: string;
}

/**
 * A uPlot line chart of the last minutes: `data[0]` is the time axis (Unix seconds), then one
 * array per series. The plot is made once and fed new data at each poll.
 */
export function TimeChart({ title, series, data, testId }: { title: string; series: Series[]; data: number[][]; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const chart = new uPlot(
      {
        title,
        width: Math.max(320, el.clientWidth || 560),
        height: 220,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
        axes: [{}, { size: 56 }],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      data as uPlot.AlignedData,
      el,
    );
    plot.current = chart;
    return () => {
      chart.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  return <div class="chart" ref={box} data-testid={testId} data-points={data[0]?.length ?? 0} />;
}
