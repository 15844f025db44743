// Prompts are audio file names with their Chinese text beside them, so that logs and the emulator can
// show what a caller heard and a TTS engine can be plugged in later.
import type { ServiceLine } from '../number-plan/lines.ts';

export interface Prompt {
  file: string;
  text: string;
}

export function greeting(line: ServiceLine): Prompt {
  return {
    file: `hotline/${line.number}/greeting.wav`,
    text: `您好，欢迎致电${line.number}${line.name}热线。人工服务请按0，或请稍候，正在为您转接人工服务。`,
  };
}

export const IVR_LABELS: Record<string, string> = {
  greeting: '欢迎语',
  'press-0': '按0转人工',
  'no-input': '未按键，直接转人工',
  other: '按其他键，转人工',
  subcenter: '转分中心',
  'subcenter-failed': '分中心未接通，转12345坐席',
};
