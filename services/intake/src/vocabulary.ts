import { categoryByLabel, kindByLabel } from '@petition/categorize';
import { type Category, Channel, type PetitionKind } from '@petition/contract';

// The words integrators send, as the design names them, and their contract values.

// The categories' and kinds' Chinese names are packages/categorize's one table (labels.ts), not restated here.
export const categoryNames: Readonly<Record<string, Category>> = Object.fromEntries(categoryByLabel);

export const kindNames: Readonly<Record<string, PetitionKind>> = Object.fromEntries(kindByLabel);

export const channelNames: Readonly<Record<string, Channel>> = {
  LETTER: Channel.CHANNEL_LETTER,
  VISIT: Channel.CHANNEL_VISIT,
  PHONE: Channel.CHANNEL_PHONE,
  WEB: Channel.CHANNEL_WEB,
  APP: Channel.CHANNEL_APP,
  WECHAT: Channel.CHANNEL_WECHAT,
  VIDEO: Channel.CHANNEL_VIDEO,
  QR: Channel.CHANNEL_QR,
};

/** Channels whose items may be entered after the fact with the time they were received. */
export const afterTheFactChannels: ReadonlySet<Channel> = new Set([Channel.CHANNEL_LETTER, Channel.CHANNEL_VISIT]);

/** GB 11643 resident ID: 17 digits and a check character (ISO 7064 MOD 11-2). */
export function isResidentId(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(id[i]), 0);
  return '10X98765432'[sum % 11] === id[17];
}
