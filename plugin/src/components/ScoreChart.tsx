import { type MouseEvent, useEffect, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';

import { ANOMALY_SEVERITIES, SEVERITIES, type AnomalyRow, type Severity, type Thresholds } from '../data/types';

export interface TimeSpan {
  from: number;
  to: number;
}

interface Props {
  rows: readonly AnomalyRow[];
  colors: Record<Severity, string>;
  thresholds: Thresholds;
  width: number;
  height: number;
  /** The dashboard's time range; without it the chart spans the rows. */
  range?: TimeSpan;
  /** Called with the span the user drags across. */
  onZoom?: (span: TimeSpan) => void;
}

const PAD = { left: 40, right: 64, top: 8, bottom: 22 };

/** Score over time, one point per line coloured by severity, dashed lines at the thresholds. Canvas: 50,000 points draw in a frame. */
export function ScoreChart({ rows, colors, thresholds, width, height, range, onZoom }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const [drag, setDrag] = useState<{ start: number; end: number } | undefined>();
  const span = range ?? extent(rows);
  const plotWidth = Math.max(1, width - PAD.left - PAD.right);
  const plotHeight = Math.max(1, height - PAD.top - PAD.bottom);

  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) {
      return;
    }
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    drawAxes(ctx, theme, span, plotWidth, plotHeight);
    drawThresholds(ctx, theme, thresholds, colors, plotWidth, plotHeight);
    drawPoints(ctx, rows, colors, span, plotWidth, plotHeight);
  }, [rows, colors, thresholds, span.from, span.to, width, height, plotWidth, plotHeight, theme]);

  const toTime = (x: number) => span.from + ((x - PAD.left) / plotWidth) * (span.to - span.from);
  const localX = (e: MouseEvent) => {
    const box = e.currentTarget.getBoundingClientRect();
    return Math.min(PAD.left + plotWidth, Math.max(PAD.left, e.clientX - box.left));
  };
  const finishDrag = () => {
    if (drag && onZoom && Math.abs(drag.end - drag.start) > 4) {
      const [a, b] = [drag.start, drag.end].sort((x, y) => x - y);
      onZoom({ from: Math.round(toTime(a)), to: Math.round(toTime(b)) });
    }
    setDrag(undefined);
  };

  return (
    <div
      className={styles.wrap}
      style={{ width, height, cursor: onZoom ? 'crosshair' : 'default' }}
      data-testid="score-chart"
      data-points={rows.length}
      onMouseDown={(e) => setDrag({ start: localX(e), end: localX(e) })}
      onMouseMove={(e) => drag && setDrag({ ...drag, end: localX(e) })}
      onMouseUp={finishDrag}
      onMouseLeave={() => setDrag(undefined)}
    >
      <canvas
        ref={canvas}
        width={Math.round(width * (window.devicePixelRatio || 1))}
        height={Math.round(height * (window.devicePixelRatio || 1))}
        style={{ width, height }}
      />
      {drag && (
        <div
          className={styles.selection}
          style={{
            left: Math.min(drag.start, drag.end),
            width: Math.abs(drag.end - drag.start),
            top: PAD.top,
            height: plotHeight,
          }}
        />
      )}
    </div>
  );
}

function extent(rows: readonly AnomalyRow[]): TimeSpan {
  if (rows.length === 0) {
    const now = Date.now();
    return { from: now - 3_600_000, to: now };
  }
  let from = Infinity;
  let to = -Infinity;
  for (const row of rows) {
    from = Math.min(from, row.time);
    to = Math.max(to, row.time);
  }
  return from === to ? { from: from - 30_000, to: to + 30_000 } : { from, to };
}

function drawAxes(ctx: CanvasRenderingContext2D, theme: GrafanaTheme2, span: TimeSpan, w: number, h: number) {
  ctx.font = `11px ${theme.typography.fontFamily}`;
  ctx.fillStyle = theme.colors.text.secondary;
  ctx.strokeStyle = theme.colors.border.weak;
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const score of [0, 0.25, 0.5, 0.75, 1]) {
    const y = PAD.top + (1 - score) * h;
    ctx.beginPath();
    ctx.moveTo(PAD.left, y);
    ctx.lineTo(PAD.left + w, y);
    ctx.stroke();
    ctx.fillText(score.toFixed(2), PAD.left - 6, y);
  }
  const format = span.to - span.from > 2 * 86_400_000 ? 'MM-DD HH:mm' : 'HH:mm:ss';
  const ticks = Math.max(2, Math.min(6, Math.floor(w / 110)));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let i = 0; i <= ticks; i++) {
    const t = span.from + ((span.to - span.from) * i) / ticks;
    ctx.fillText(dateTimeFormat(t, { format }), PAD.left + (w * i) / ticks, PAD.top + h + 6);
  }
}

function drawThresholds(
  ctx: CanvasRenderingContext2D,
  theme: GrafanaTheme2,
  thresholds: Thresholds,
  colors: Record<Severity, string>,
  w: number,
  h: number,
) {
  ctx.setLineDash([4, 4]);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const severity of ANOMALY_SEVERITIES) {
    const score = thresholds[severity as keyof Thresholds];
    const y = PAD.top + (1 - score) * h;
    ctx.strokeStyle = colors[severity];
    ctx.beginPath();
    ctx.moveTo(PAD.left, y);
    ctx.lineTo(PAD.left + w, y);
    ctx.stroke();
    ctx.fillStyle = colors[severity];
    ctx.fillText(severity, PAD.left + w + 6, y);
  }
  ctx.setLineDash([]);
}

function drawPoints(
  ctx: CanvasRenderingContext2D,
  rows: readonly AnomalyRow[],
  colors: Record<Severity, string>,
  span: TimeSpan,
  w: number,
  h: number,
) {
  const scale = w / Math.max(1, span.to - span.from);
  // lowest severity first, so critical points stay on top
  for (const severity of SEVERITIES) {
    ctx.fillStyle = colors[severity];
    ctx.beginPath();
    for (const row of rows) {
      if (row.severity !== severity || row.time < span.from || row.time > span.to) {
        continue;
      }
      const x = PAD.left + (row.time - span.from) * scale;
      const y = PAD.top + (1 - Math.min(1, Math.max(0, row.score))) * h;
      ctx.moveTo(x + 3, y);
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrap: css({ position: 'relative', userSelect: 'none' }),
  selection: css({
    position: 'absolute',
    background: theme.colors.action.selected,
    border: `1px solid ${theme.colors.primary.border}`,
    pointerEvents: 'none',
  }),
});
