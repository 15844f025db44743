// The shipped menus. 12345 runs in direct mode (a short greeting, then a human), as GB/T 33358-2016
// advises for plain intake; each legacy line has a short menu that picks its specialist desk.
import { DEFAULT_LINES, type ServiceLine } from '../number-plan/lines.ts';
import type { IvrNode, MenuDocument, Prompt, SurveyNode } from './types.ts';

const p = (line: string, name: string, text: string): Prompt => ({ file: `ivr/${line}/${name}.wav`, text });

/**
 * Specialist desks 12345 ships with (国办函〔2025〕66号 asks for both): queues of their own, reached by a key
 * during 12345's greeting, overflowing to the general pool when nobody at the desk is free.
 */
export const SHIPPED_DESKS = { enterprise: '涉企服务专席', dialect: '方言专席' } as const;
/** How long a desk's caller waits for the desk before general agents may take the call too. */
export const DESK_OVERFLOW_AFTER_S = 30;

export function surveyNode(line: string): SurveyNode {
  return {
    type: 'survey',
    label: '满意度评价',
    intro: p(line, 'survey-intro', '请您对本次服务进行评价，每项按1到5分，5分为非常满意。'),
    questions: [
      { key: 'speed', prompt: p(line, 'survey-speed', '对响应速度的评价，请按1到5。') },
      { key: 'resolution', prompt: p(line, 'survey-resolution', '对问题解决情况的评价，请按1到5。') },
      { key: 'attitude', prompt: p(line, 'survey-attitude', '对服务态度的评价，请按1到5。') },
    ],
    thanks: p(line, 'survey-thanks', '感谢您的评价，再见。'),
  };
}

interface DeskChoice {
  digit: string;
  label: string;
  skill: string;
}

/** A one-level menu: desks, a care option (9), and 0 for a human added by the engine. */
function legacyMenu(
  line: ServiceLine,
  intro: string,
  desks: DeskChoice[],
  extra: Record<string, IvrNode> = {},
): MenuDocument {
  const nodes: Record<string, IvrNode> = {
    main: {
      type: 'menu',
      label: `${line.number}主菜单`,
      prompt: p(
        line.number,
        'main',
        `${intro}${desks.map((d) => `${d.label}请按${d.digit}，`).join('')}老年人或残疾人请按9，人工服务请按0。`,
      ),
      options: [
        ...desks.map((d) => ({ digit: d.digit, next: `desk-${d.digit}`, label: d.label })),
        { digit: '9', next: 'care', label: '老年人或残疾人' },
      ],
      timeoutMs: 5000,
      retries: 2,
      invalidPrompt: p(line.number, 'invalid', '您的输入有误。'),
      noInputPrompt: p(line.number, 'no-input', '没有听到您的按键。'),
    },
    care: { type: 'queue', label: '关爱专席', skill: line.skill, declaresCare: true },
    survey: surveyNode(line.number),
    ...extra,
  };
  for (const d of desks) {
    nodes[`desk-${d.digit}`] ??= { type: 'queue', label: d.label, skill: d.skill, priority: 'normal' };
  }
  return {
    line: line.number,
    mode: 'menu',
    human: { skill: line.skill, label: '转人工服务' },
    root: 'main',
    nodes,
    survey: 'survey',
  };
}

export function defaultMenus(lines: readonly ServiceLine[] = DEFAULT_LINES): MenuDocument[] {
  const out: MenuDocument[] = [];
  for (const line of lines) {
    const n = line.number;
    switch (n) {
      case '12345':
        out.push({
          line: n,
          mode: 'direct',
          human: { skill: line.skill, label: '转人工服务' },
          // Plain intake stays a greeting and a human; the desks are keys one may press during it, never a wait.
          greeting: p(n, 'greeting', '您好，12345热线，正在为您转接人工服务。企业咨询请按1，方言服务请按2。'),
          greetingOptions: [
            { digit: '1', next: 'desk-enterprise', label: SHIPPED_DESKS.enterprise },
            { digit: '2', next: 'desk-dialect', label: SHIPPED_DESKS.dialect },
          ],
          nodes: {
            'desk-enterprise': {
              type: 'queue',
              label: SHIPPED_DESKS.enterprise,
              skill: 'enterprise',
              priority: 'enterprise',
            },
            'desk-dialect': { type: 'queue', label: SHIPPED_DESKS.dialect, skill: 'dialect' },
            survey: surveyNode(n),
          },
          survey: 'survey',
        });
        break;
      case '12333':
        out.push(
          legacyMenu(
            line,
            '您好，这里是12345热线人社专席。',
            [
              { digit: '1', label: '养老保险', skill: 'hrss' },
              { digit: '2', label: '就业创业', skill: 'hrss' },
              { digit: '3', label: '劳动关系与欠薪', skill: 'hrss' },
            ],
            {
              'desk-1': {
                type: 'menu',
                label: '养老保险',
                prompt: p(n, 'pension', '城乡居民养老保险请按1，企业职工养老保险请按2，人工服务请按0。'),
                options: [
                  { digit: '1', next: 'pension-resident', label: '城乡居民养老' },
                  { digit: '2', next: 'pension-employee', label: '职工养老' },
                ],
              },
              'pension-resident': { type: 'queue', label: '城乡居民养老', skill: 'hrss' },
              'pension-employee': { type: 'queue', label: '职工养老', skill: 'hrss' },
            },
          ),
        );
        break;
      case '12315':
        out.push(
          legacyMenu(line, '您好，这里是12345热线市场监管专席。', [
            { digit: '1', label: '消费投诉', skill: 'market' },
            { digit: '2', label: '违法举报', skill: 'market' },
            { digit: '3', label: '政策咨询', skill: 'general' },
          ]),
        );
        break;
      case '12348': {
        const doc = legacyMenu(
          line,
          '您好，这里是公共法律服务热线。',
          [{ digit: '1', label: '法律咨询', skill: 'legal' }],
          {
            'desk-1': {
              type: 'hours',
              label: '分中心工作时间',
              open: [{ days: [1, 2, 3, 4, 5], from: '08:30', to: '17:30' }],
              whenOpen: 'to-subcenter',
              whenClosed: 'legal-seat',
            },
            'to-subcenter': {
              type: 'transfer',
              label: '转公共法律服务分中心',
              subcenterLine: n,
              fallback: 'legal-seat',
            },
            'legal-seat': { type: 'queue', label: '12345法律专席', skill: 'legal' },
          },
        );
        out.push(doc);
        break;
      }
      default: {
        const label = `${line.name}`;
        out.push(
          legacyMenu(line, `您好，这里是12345热线${label}专席。`, [{ digit: '1', label, skill: line.skill }]),
        );
      }
    }
  }
  return out;
}
