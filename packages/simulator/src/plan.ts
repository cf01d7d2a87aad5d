import { UnitLevel } from '@petition/contract';
import type { NationalDirectory } from '@petition/directory';

// What the simulated country does, without I/O: who files what, and what the holder of a case or its
// petitioner does next as the case stands. `rand` is any source of numbers in [0, 1).

export type Rand = () => number;
type Json = Record<string, unknown>;

/** A seeded source of numbers in [0, 1) (a linear congruential generator): the same run files the same petitions. */
export function seeded(seed: number): Rand {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

const channels = ['LETTER', 'VISIT', 'PHONE', 'WEB', 'APP', 'WECHAT', 'VIDEO', 'QR'] as const;
/** The matters people write about most, with their usual words. */
const matters = [
  { category: '劳动社保', title: '拖欠工资', content: '所在公司拖欠工资三个月，多次讨要无果，请求督促支付。' },
  { category: '城乡建设', title: '小区违建', content: '小区内有业主私自搭建阳光房，影响采光，请求查处。' },
  { category: '国土资源水利林业', title: '征地补偿', content: '村里土地被征收，补偿款至今未发放到位。' },
  { category: '农村农业', title: '农资质量', content: '购买的种子出苗率极低，请求调查处理。' },
  { category: '民政', title: '低保申请', content: '家庭困难，申请低保被退回，请求说明理由。' },
  { category: '教育', title: '入学安排', content: '孩子随迁入学申请未获安排，请求协调。' },
  { category: '卫生计生', title: '医疗纠纷', content: '在医院就诊后病情加重，请求调查诊疗过程。' },
  { category: '交通能源环保', title: '噪声扰民', content: '附近工地夜间施工噪声严重，影响休息。' },
  { category: '商贸旅游', title: '预付卡退费', content: '健身房关门，预付卡余额无法退还。' },
  { category: '经济综合', title: '物价问题', content: '供暖收费标准高于公示标准，请求核查。' },
  { category: '其他', title: '建议', content: '建议在社区增设老年人助餐点。' },
] as const;
const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const givenNames = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛'];

/** An 18-character resident ID number (GB 11643) born in that region, with its check character. */
export function residentId(regionCode: string, born: Date, sequence: number): string {
  const body = `${regionCode}${born.toISOString().slice(0, 10).replace(/-/g, '')}${String(sequence % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return `${body}${'10X98765432'[sum % 11]}`;
}

/** The county codes of the directory, where petitions come from. */
export const countiesOf = (national: NationalDirectory) =>
  national.regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY).map((r) => r.code);

/** A petition as a petitioner files it, from anywhere in the country. */
export function petitionBody(rand: Rand, counties: readonly string[]): Json {
  const region = pick(rand, counties);
  const matter = pick(rand, matters);
  const born = new Date(Date.UTC(1950 + Math.floor(rand() * 50), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28)));
  const name = `${pick(rand, [...surnames])}${pick(rand, givenNames)}`;
  return {
    channel: pick(rand, channels),
    petitioner: {
      name,
      idNumber: residentId(region, born, Math.floor(rand() * 1000)),
      phone: `13${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`,
      address: `${region} 某街道某号`,
    },
    regionCode: region,
    category: matter.category,
    kind: matter.category === '其他' ? '建议意见' : '申诉求决',
    title: matter.title,
    content: matter.content,
  };
}

/** What someone does next with a case: the holding unit, or the petitioner. */
export type Move =
  | { readonly who: 'unit'; readonly path: string; readonly body: Json }
  | { readonly who: 'petitioner'; readonly path: string; readonly body: Json };

const opinion = (summary: string) => ({ summary });

/**
 * The next move as a case stands, or undefined to let time pass (a unit that never answers runs late; a
 * petitioner who says nothing lets the window lapse). `done`: nothing more will ever happen to it.
 */
export function nextMove(state: string, rand: Rand): Move | 'done' | undefined {
  const r = rand();
  switch (state) {
    case 'CASE_STATE_AWAITING_ACCEPTANCE':
      if (r < 0.8) return { who: 'unit', path: 'accept', body: {} };
      if (r < 0.85)
        return {
          who: 'unit',
          path: 'not-accept',
          body: { reason: 'NOT_ACCEPTED_REASON_OUTSIDE_PETITION_SCOPE', reasonText: '属于诉讼范围' },
        };
      return undefined;
    case 'CASE_STATE_ACCEPTED':
      if (r < 0.4)
        return {
          who: 'unit',
          path: 'reply',
          body: {
            opinion: opinion('经调查核实，已督促相关单位依法处理。'),
            disposition: pick(rand, ['REPLY_DISPOSITION_SUPPORTED', 'REPLY_DISPOSITION_EXPLAINED']),
          },
        };
      return undefined;
    case 'CASE_STATE_REPLIED':
    case 'CASE_STATE_AWAITING_EVALUATION':
      if (r < 0.6)
        return {
          who: 'petitioner',
          path: 'evaluate',
          body: {
            stage: 'OPINION_STAGE_HANDLING',
            evaluation: pick(rand, [
              'EVALUATION_SATISFIED',
              'EVALUATION_BASICALLY_SATISFIED',
              'EVALUATION_DISSATISFIED',
            ]),
          },
        };
      if (r < 0.7) return { who: 'petitioner', path: 'request-review', body: { reason: '对处理意见不服' } };
      return undefined;
    case 'CASE_STATE_UNDER_REVIEW':
      return {
        who: 'unit',
        path: 'decide-review',
        body: { decision: 'REVIEW_DECISION_UPHELD', opinion: opinion('维持原处理意见。') },
      };
    case 'CASE_STATE_REVIEWED':
      if (r < 0.3) return { who: 'petitioner', path: 'request-re-review', body: { reason: '对复查意见不服' } };
      return undefined;
    case 'CASE_STATE_UNDER_RE_REVIEW':
      return {
        who: 'unit',
        path: 'decide-re-review',
        body: { decision: 'REVIEW_DECISION_UPHELD', opinion: opinion('维持复查意见。'), publicize: false },
      };
    case 'CASE_STATE_FINAL':
    case 'CASE_STATE_NOT_ACCEPTED':
    case 'CASE_STATE_GUIDED_TO_LEGAL_CHANNEL':
    case 'CASE_STATE_WITHDRAWN':
    case 'CASE_STATE_LINKED_AS_REPEAT':
    case 'CASE_STATE_CLOSED':
    case 'CASE_STATE_COMPLETION_REPORTED':
      return 'done';
    default:
      return undefined;
  }
}
