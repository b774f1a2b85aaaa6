// Reports of runs: a self-contained HTML page from a run's epochs, its layers at work and its
// model on PCM over time.
export { recordActivity, sampleValues } from './activity.js';
export type { Activity, LayerActivity } from './activity.js';
export { DRIFT_TIMES, measureDrift } from './drift.js';
export type { DriftMeasurement, DriftOptions, DriftPoint, TimePoint } from './drift.js';
export { runReport } from './run-report.js';
export type { ReportEpoch, RunReportInput } from './run-report.js';
