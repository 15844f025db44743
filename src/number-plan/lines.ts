// Service lines: 12345 itself and the legacy hotlines merged into it, each with its merge mode.
// 融合模式: fully merged (号码并入, number retired into 12345), dual-number (双号并行, number kept, seats
// merged into 12345 with the line's own skill), sub-center (设分中心, the department keeps number and seats).

export type MergeMode = 'hub' | 'merged' | 'dual' | 'subcenter';

export interface ServiceLine {
  /** The short number citizens dial, e.g. "12333". */
  number: string;
  name: string;
  nameEn: string;
  mergeMode: MergeMode;
  /** Skill of the specialist desk that takes this line's calls in 12345's seats. */
  skill: string;
  /** SIP address of the department's own center, for sub-center lines. */
  subcenterUri?: string;
}

export const MERGE_MODE_LABELS: Record<MergeMode, string> = {
  hub: '12345主号',
  merged: '整体并入',
  dual: '双号并行',
  subcenter: '设分中心',
};

export const DEFAULT_LINES: readonly ServiceLine[] = [
  {
    number: '12345',
    name: '政务服务便民热线',
    nameEn: 'Government service hotline',
    mergeMode: 'hub',
    skill: 'general',
  },
  {
    number: '12315',
    name: '市场监管投诉举报',
    nameEn: 'Market regulation',
    mergeMode: 'dual',
    skill: 'market',
  },
  {
    number: '12333',
    name: '人力资源和社会保障',
    nameEn: 'Human resources and social security',
    mergeMode: 'dual',
    skill: 'hrss',
  },
  {
    number: '12369',
    name: '环保举报',
    nameEn: 'Environmental protection',
    mergeMode: 'merged',
    skill: 'environment',
  },
  {
    number: '12319',
    name: '城建服务',
    nameEn: 'Urban construction services',
    mergeMode: 'merged',
    skill: 'urban',
  },
  {
    number: '12365',
    name: '质量技术监督',
    nameEn: 'Quality supervision',
    mergeMode: 'merged',
    skill: 'market',
  },
  { number: '12338', name: '妇女维权', nameEn: "Women's rights", mergeMode: 'merged', skill: 'social' },
  { number: '12355', name: '青少年服务', nameEn: 'Youth services', mergeMode: 'merged', skill: 'social' },
  {
    number: '12348',
    name: '公共法律服务',
    nameEn: 'Public legal services',
    mergeMode: 'subcenter',
    skill: 'legal',
    subcenterUri: 'sip:12348@legal-aid.subcenter.invalid',
  },
];
