/**
 * `glust trace`'s output: a trace as an indented text waterfall, one line per span in the tree
 * order the web UI uses, with a bar on a shared time axis:
 *
 *   GET /checkout (checkout)            250.0 ms  |██████████████████████████████|
 *     ! charge (payments)                80.0 ms  |   ██████████                 |  ERROR card declined
 */
import { formatDuration, formatTime } from '../view/display.js';
import type { SpanRecord } from '../view/records.js';
import { buildTree, traceBounds } from '../view/trace-tree.js';

export function renderWaterfall(traceId: string, spans: readonly SpanRecord[], width = 100): string {
  const nodes = buildTree(spans);
  const { start, end } = traceBounds(spans);
  const total = Number(end - start) || 1;
  const errors = spans.filter((s) => s.status_code === 'ERROR').length;
  const services = [...new Set(spans.map((s) => s.service_name))].sort();
  const labels = nodes.map((n) => `${'  '.repeat(n.depth)}${n.span.status_code === 'ERROR' ? '! ' : ''}${n.span.name} (${n.span.service_name})`);
  const labelWidth = Math.min(Math.max(...labels.map((l) => l.length)), Math.floor(width * 0.45));
  const barWidth = Math.max(10, width - labelWidth - 14);
  const lines = [
    `trace ${traceId}: ${spans.length} span${spans.length === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ` +
      `${formatDuration(end - start)}, started ${formatTime(start)} UTC; services ${services.join(', ')}`,
    `${''.padEnd(labelWidth)}  ${''.padStart(9)}  0${formatDuration(total).padStart(barWidth + 1)}`,
  ];
  nodes.forEach((n, i) => {
    const s = n.span;
    const from = Math.min(barWidth - 1, Math.floor((Number(BigInt(s.start_time) - start) / total) * barWidth));
    const len = Math.max(1, Math.round((Number(s.duration_ns) / total) * barWidth));
    const bar = ' '.repeat(from) + '█'.repeat(Math.min(len, barWidth - from));
    const label = labels[i]!.length > labelWidth ? labels[i]!.slice(0, labelWidth - 1) + '…' : labels[i]!.padEnd(labelWidth);
    const status = s.status_code === 'ERROR' ? `  ERROR${s.status_message ? ` ${s.status_message}` : ''}` : '';
    lines.push(`${label}  ${formatDuration(s.duration_ns).padStart(9)}  |${bar.padEnd(barWidth)}|${status}`);
  });
  return lines.join('\n') + '\n';
}
