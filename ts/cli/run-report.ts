// A run folder's report.html: what `snu report` writes, and `snu train --report` after each epoch.
// The run's facts and epochs come from metrics.json; the layers at work from a model and a few
// samples of the task; the PCM part from measureDrift when asked.
import { writeFileAtomic } from '../io.js';
import type { Sequential } from '../model.js';
import { recordActivity } from '../report/activity.js';
import type { DriftMeasurement } from '../report/drift.js';
import { runReport } from '../report/run-report.js';
import { formatMetrics } from './format.js';
import type { RunMetrics } from './run-metrics.js';
import type { LoadedTask, Split, Task } from './task.js';

/** Test samples shown at work, by default. */
export const DEFAULT_REPORT_SAMPLES = 4;
/** At most this many (each is drawn per layer). */
export const MAX_REPORT_SAMPLES = 64;

/** What goes into a run's report. */
export interface RunReportSource {
  /** The run's name: its folder's. */
  name: string;
  task: Task;
  metrics: RunMetrics;
  /** The model shown at work and its file's name (`best.snu`), if any. */
  model?: { model: Sequential; file: string };
  loaded?: LoadedTask;
  samples?: number;
  split?: Split;
  drift?: DriftMeasurement;
}

/** A run's status as the report's subtitle says it. */
const STATUS: Record<string, string> = { running: 'Training in progress', finished: 'Finished', interrupted: 'Interrupted', failed: 'Failed' };

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

/** The overview rows of a run. */
function facts(task: Task, m: RunMetrics, modelFile: string | undefined): [string, string][] {
  const rows: [string, string][] = [['task', `${task.title} (${m.task})`]];
  if (m.description) rows.push(['description', m.description]);
  rows.push(['config', m.configSource], ['status', m.status], ['epochs', String(m.epochs.length)]);
  if (m.test) rows.push(['test (final model)', formatMetrics(m.test, m.metric)]);
  if (m.best) rows.push([`best on validation (epoch ${m.best.epoch})`, m.best.test ? `test ${formatMetrics(m.best.test, m.metric)}` : `validation ${formatMetrics(m.best.val, m.metric)}`]);
  const rate = m.samplesPerSecond ?? m.tokensPerSecond;
  rows.push(['training time', `${duration(m.trainingSeconds)}${rate ? `, ${Math.round(rate).toLocaleString('en-US')} ${m.tokensPerSecond !== undefined ? 'tokens' : 'samples'}/s` : ''}`]);
  rows.push(['machine', `${m.machine.cpu}, ${m.machine.threads ?? '?'} of ${m.machine.cores} threads, Node ${m.machine.node}, snu ${m.machine.snuVersion}${m.machine.snuCommit ? ` (${m.machine.snuCommit.slice(0, 10)})` : ''}`]);
  rows.push(['started', m.startedAt], ['updated', m.updatedAt]);
  if (modelFile) rows.push(['model shown', modelFile]);
  if (m.error) rows.push(['error', m.error]);
  return rows;
}

/**
 * The report's HTML. The samples' pass runs the model (`predictWithLayers`), so call it between
 * training steps, not during one.
 */
export function runReportHtml(s: RunReportSource): string {
  const m = s.metrics;
  const activity = s.model && s.loaded ? recordActivity(s.model.model, s.loaded.samples(s.split ?? 'test', s.samples ?? DEFAULT_REPORT_SAMPLES)) : undefined;
  return runReport({
    title: `${s.name}: ${s.task.title}`,
    subtitle: `${STATUS[m.status] ?? m.status} after ${m.epochs.length} epoch${m.epochs.length === 1 ? '' : 's'}; updated ${m.updatedAt}`,
    facts: facts(s.task, m, s.model?.file),
    epochs: m.epochs,
    metric: m.metric,
    ...(activity ? { activity } : {}),
    ...(s.drift ? { drift: s.drift } : {}),
  });
}

/** Writes the report atomically (a browser reloading it never sees half a page). */
export async function writeRunReport(path: string, s: RunReportSource): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(runReportHtml(s)));
}
