import { type DragEvent, useEffect, useMemo, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Field, Icon, RadioButtonGroup, useStyles2 } from '@grafana/ui';

import { rowFromRecord } from '../data/records';
import type { AnomalyData } from '../data/types';
import { DEFAULT_OPTIONS } from '../options';
import {
  fetchAnomalies,
  fitModels,
  MAX_RECORDS,
  pageFeedback,
  uploadLog,
  type Detector,
  type ModelFit,
  type UploadResult,
} from './api';
import { ResultsArea } from './ResultsArea';

const DETECTORS: Array<{ value: Detector; label: string; description: string }> = [
  { value: 'ensemble', label: 'Ensemble', description: 'Isolation Forest and autoencoder together' },
  { value: 'iforest', label: 'Isolation Forest', description: '' },
  { value: 'autoencoder', label: 'Autoencoder', description: '' },
];
const ACCEPT = '.log,.csv,.gz,.txt';

/** The model choice as the radio buttons hold it: a model's name, or LEARN. */
const LEARN = '\u0000learn';

type State =
  | { step: 'choose' }
  | { step: 'busy'; message: string }
  | { step: 'done'; data: AnomalyData; file: string; truncated: boolean; result: UploadResult }
  | { step: 'failed'; error: string };

/** Drop or pick a log file, score it on the backend, then show the panel view of the result. */
export function UploadPage() {
  const styles = useStyles2(getStyles);
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File>();
  const [detector, setDetector] = useState<Detector>('ensemble');
  const [fit, setFit] = useState<ModelFit>();
  const [choice, setChoice] = useState<string>(LEARN);
  const [dragging, setDragging] = useState(false);
  const [state, setState] = useState<State>({ step: 'choose' });

  // Which loaded models read the chosen file's format; the backend's suggestion is the default choice.
  useEffect(() => {
    setFit(undefined);
    if (!file) {
      return;
    }
    let stale = false;
    fitModels(file).then(
      (found) => {
        if (!stale) {
          setFit(found);
          setChoice('learn' in found.suggested ? LEARN : found.suggested.model);
        }
      },
      (err) => !stale && setState({ step: 'failed', error: (err as Error).message }),
    );
    return () => {
      stale = true;
    };
  }, [file]);

  const analyse = async () => {
    if (!file) {
      return;
    }
    try {
      setState({ step: 'busy', message: `Scoring ${file.name}…` });
      const result = await uploadLog(
        file,
        detector,
        choice === LEARN ? { learn: true } : { model: choice },
        (p, phase) =>
          setState({ step: 'busy', message: `Learning from ${file.name}: ${Math.round(p * 100)}% (${phase})…` }),
      );
      const { id, summary } = result;
      setState({ step: 'busy', message: `Loading ${summary.anomalies.toLocaleString('en-US')} anomalies…` });
      const records = await fetchAnomalies(id);
      const rows = records.map(rowFromRecord).sort((a, b) => a.time - b.time);
      const totals = { lines: summary.lines, anomalies: summary.anomalies, bySeverity: summary.bySeverity };
      const truncated = records.length >= MAX_RECORDS;
      setState({ step: 'done', data: { rows, totals }, file: file.name, truncated, result });
    } catch (err) {
      setState({ step: 'failed', error: (err as Error).message });
    }
  };

  const models = fit && [
    { value: LEARN, label: 'Learn from this file', description: 'Train a model on the file itself, then score it' },
    ...fit.models.map((m) => ({
      value: m.name,
      label: m.name,
      description: m.fits ? `Reads ${m.format} logs` : `Trained on ${m.format} logs, not ${fit.format}`,
    })),
  ];

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const dropped = e.dataTransfer.files[0];
    if (dropped) {
      setFile(dropped);
    }
  };

  return (
    <div className={styles.page}>
      <div className={styles.form}>
        <div
          className={cx(styles.drop, dragging && styles.dragging)}
          data-testid="dropzone"
          role="button"
          tabIndex={0}
          onClick={() => input.current?.click()}
          onKeyDown={(e) => e.key === 'Enter' && input.current?.click()}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <Icon name="upload" size="xl" />
          <span>
            {file ? `${file.name} (${formatBytes(file.size)})` : 'Drop a log file here or click to choose one'}
          </span>
          <span className={styles.hint}>.log, .csv or .gz: access logs, HDFS, syslog, JSON lines, logfmt, CSV</span>
          <input
            ref={input}
            type="file"
            accept={ACCEPT}
            hidden
            data-testid="file-input"
            onChange={(e) => setFile(e.currentTarget.files?.[0])}
          />
        </div>
        {models && (
          <Field label={`Model (the file looks like ${fit.format} logs)`} data-testid="model-choice">
            <RadioButtonGroup
              options={models}
              value={choice}
              onChange={setChoice}
              disabledOptions={fit.models.filter((m) => !m.fits).map((m) => m.name)}
            />
          </Field>
        )}
        <Field label="Detector">
          <RadioButtonGroup options={DETECTORS} value={detector} onChange={setDetector} />
        </Field>
        <Button icon="bolt" disabled={!file || !fit || state.step === 'busy'} onClick={analyse} data-testid="analyse">
          {state.step === 'busy' ? state.message : 'Analyse'}
        </Button>
      </div>
      {state.step === 'failed' && (
        <Alert title="The file could not be analysed" severity="error">
          {state.error}
        </Alert>
      )}
      {state.step === 'done' && <Results {...state} />}
    </div>
  );
}

interface ResultsProps {
  data: AnomalyData;
  file: string;
  truncated: boolean;
  result: UploadResult;
}

function Results({ data, file, truncated, result }: ResultsProps) {
  const styles = useStyles2(getStyles);
  const scoredBy = result.learned
    ? `a model learnt from this file (${result.format} format)`
    : `model ${result.model} (trained on ${result.modelFormat} logs; the file looks like ${result.format})`;
  // rows are oldest first
  const range = useMemo(() => {
    const [first, last] = [data.rows[0], data.rows[data.rows.length - 1]];
    return first && last && first.time < last.time ? { from: first.time, to: last.time } : undefined;
  }, [data.rows]);
  return (
    <>
      <div className={styles.caption} data-testid="results-caption">
        Results for {file}, scored by <span data-testid="scored-by">{scoredBy}</span>
        {truncated && ` (the first ${MAX_RECORDS.toLocaleString('en-US')} anomalies are listed)`}
      </div>
      {result.warnings.map((w) => (
        <Alert key={w} title="The model may not fit this file" severity="warning" data-testid="format-warning">
          {w}
        </Alert>
      ))}
      <ResultsArea data={data} options={DEFAULT_OPTIONS} range={range} feedback={pageFeedback} />
    </>
  );
}

function formatBytes(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), flex: 1, minHeight: 0 }),
  form: css({ display: 'flex', alignItems: 'flex-end', gap: theme.spacing(2), flexWrap: 'wrap' }),
  drop: css({
    flex: 1,
    minWidth: 320,
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(2),
    border: `2px dashed ${theme.colors.border.strong}`,
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.primary,
    cursor: 'pointer',
  }),
  dragging: css({ borderColor: theme.colors.primary.border, background: theme.colors.action.hover }),
  hint: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  caption: css({ color: theme.colors.text.secondary }),
});
