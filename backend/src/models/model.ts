import { MEMBER_KINDS } from '@anomalog/contract';
import type { AutoencoderState, Calibration, IsolationForestState, NoveltyState, Thresholds } from '../detectors/index.js';
import type { RarityState } from '../detectors/rarity.js';
import type { FanoutState } from '../detectors/fanout.js';
import type { FeatureSchema, FeatureStats, WebBaselineState } from '../features/index.js';
import type { TemplateIndexState } from '../templates/index.js';
import type { SessionVectorizerState } from '../features/session.js';
import type { DateOrder, Envelope } from '../parsing/index.js';
import type { DetectorKind, FormatName } from '../types.js';

export const MODEL_SCHEMA = 'anomalog-model/1';

/** The scoring members a model can hold; `ensemble` combines them with the novelty and rule signals. */
export type Member = 'iforest' | 'autoencoder';

export interface MemberStates {
  iforest?: IsolationForestState;
  autoencoder?: AutoencoderState;
}

export interface SessionModel {
  /** Regex source whose first match in a line is the session key. */
  key: string;
  /** A session closes after this long without a line (ms, by line timestamps). */
  idleMs: number;
  sessions: number;
  vectorizer: SessionVectorizerState;
  members: MemberStates;
  calibration: Partial<Record<Member, Calibration>>;
  novelty: NoveltyState;
}

export interface Model {
  schema: typeof MODEL_SCHEMA;
  name: string;
  /** The default detector when scoring: one member or the ensemble of all. */
  detector: DetectorKind;
  createdAt: string;
  /** `unparsed`: lines learnt from that the model's format did not read, but a record's body (absent when none). */
  trainedOn: { source: string; lines: number; sha256: string; unparsed?: number };
  format: FormatName;
  /**
   * How to parse and template lines as in training: the CSV header or custom pattern, the order of numeric dates the
   * training lines told (absent when they did not), and the template miner.
   */
  parserState: {
    header?: string;
    /** The header line comes after prose (Windows' DHCP server log): lines before it are no rows. */
    preamble?: boolean;
    pattern?: string;
    dateOrder?: DateOrder;
    /** The container runtime's envelope of each line (parsing/envelope.ts); absent when none, and in older files. */
    envelope?: Envelope;
    templates: TemplateIndexState;
  };
  featureSchema: FeatureSchema;
  params: { seed: number; sampleLines: number; trainedRows: number };
  baselines: { web?: WebBaselineState; features: FeatureStats };
  calibration: Partial<Record<Member, Calibration>>;
  thresholds: Record<DetectorKind, Thresholds>;
  members: MemberStates;
  novelty?: NoveltyState;
  /** System logs: what is routine per template (share, levels, parameter values, lengths); absent in older models. */
  rarity?: RarityState;
  /** Network sensors' logs: sources that reach many destinations every minute (detectors/fanout.ts); else absent. */
  fanout?: FanoutState;
  sessions?: SessionModel;
}

/** The members a detector kind scores with. */
export function membersOf(detector: DetectorKind): Member[] {
  return detector === 'ensemble' ? [...MEMBER_KINDS] : [detector];
}
