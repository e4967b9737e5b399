import { MEMBER_KINDS } from '@anomalog/contract';
import { Autoencoder } from '../detectors/autoencoder.js';
import type { Calibration } from '../detectors/calibration.js';
import { IsolationForest } from '../detectors/isolation-forest.js';
import { Novelty } from '../detectors/novelty.js';
import { Rarity } from '../detectors/rarity.js';
import { userRegExp } from '../parsing/user-regex.js';
import { TemplateIndex } from '../templates/index.js';
import { SessionVectorizer } from '../features/session.js';
import type { Member, MemberStates, Model } from '../models/model.js';
import type { DetectorKind } from '../types.js';
import { PipelineInputError } from './errors.js';

/** A model's members brought to life once, shared by every scorer of that model. */
export interface ModelRuntime {
  model: Model;
  templates: TemplateIndex;
  members: LiveMembers;
  novelty?: Novelty;
  rarity?: Rarity;
  sessions?: {
    key: RegExp;
    idleMs: number;
    vectorizer: SessionVectorizer;
    lifecycle: number[];
    orderRules: [number, number][];
    members: LiveMembers;
    novelty: Novelty;
  };
}

export interface LiveMembers {
  iforest?: IsolationForest;
  autoencoder?: Autoencoder;
  calibration: Partial<Record<Member, Calibration>>;
}

const runtimes = new WeakMap<Model, ModelRuntime>();

export function runtimeOf(model: Model): ModelRuntime {
  let r = runtimes.get(model);
  if (!r) {
    r = hydrate(model);
    runtimes.set(model, r);
  }
  return r;
}

function hydrate(model: Model): ModelRuntime {
  const s = model.sessions;
  const members = liveMembers(model.members, model.calibration);
  return {
    model,
    templates: TemplateIndex.fromJSON(model.parserState.templates),
    members,
    novelty: model.novelty ? Novelty.fromJSON(model.novelty) : undefined,
    rarity: model.rarity ? Rarity.fromJSON(model.rarity) : undefined,
    sessions: s && {
      key: userRegExp(s.key),
      idleMs: s.idleMs > 0 ? s.idleMs : Infinity,
      vectorizer: SessionVectorizer.fromJSON(s.vectorizer),
      lifecycle: s.vectorizer.lifecycle,
      orderRules: s.vectorizer.orderRules,
      members: liveMembers(s.members, s.calibration),
      novelty: Novelty.fromJSON(s.novelty),
    },
  };
}

function liveMembers(states: MemberStates, calibration: LiveMembers['calibration']): LiveMembers {
  return {
    iforest: states.iforest && IsolationForest.fromJSON(states.iforest),
    autoencoder: states.autoencoder && Autoencoder.fromJSON(states.autoencoder),
    calibration,
  };
}

/** The members a detector choice scores with, checked against what the model holds. */
export function activeMembers(model: Model, detector: DetectorKind): Member[] {
  const held = MEMBER_KINDS.filter((m) => model.members[m]);
  if (detector === 'ensemble') return held;
  if (!model.members[detector]) {
    throw new PipelineInputError(
      `model "${model.name}" has no ${detector} member (it holds: ${held.join(', ') || 'none'}); retrain with --detector ${detector} or ensemble`,
    );
  }
  return [detector];
}
