// Every reason a node parks an interconnect record or refuses a handoff: a closed set of stable codes,
// with the words the sending node's staff read. The one place these texts live.

export const federationCatalogue = {
  UNSIGNED: { zh: '记录未签名', en: 'the record carries no signature' },
  UNKNOWN_SIGNING_KEY: { zh: '签名密钥不属于任何成员节点', en: 'the signing key belongs to no member node' },
  BAD_SIGNATURE: { zh: '签名无效', en: 'the signature does not match the record' },
  SIGNER_NOT_SENDER: {
    zh: '签名节点不是发送单位所在的节点',
    en: 'the record is not signed by the node that hosts its sending unit',
  },
  WRONG_LINK: { zh: '记录不属于本链路', en: 'the record names other nodes than its link' },
  MALFORMED_RECORD: { zh: '记录无法解析', en: 'the record is not an interconnect record' },
  UNKNOWN_UNIT: { zh: '接收单位不存在', en: 'the receiving unit is not in the directory' },
  UNIT_NOT_HOSTED: { zh: '接收单位不由本节点承载', en: 'the receiving unit is not hosted by this node' },
  HISTORY_CONFLICT: {
    zh: '移交的办理记录与本节点记录不一致',
    en: 'the history handed over disagrees with what this node holds',
  },
  STEP_REFUSED: { zh: '本节点不能办理该移交环节', en: 'the custody step was refused here' },
  NO_SUCH_HANDOFF: { zh: '没有待答复的该项移交', en: 'no pending handoff has that id' },
} as const;

export type FederationErrorCode = keyof typeof federationCatalogue;

export class FederationError extends Error {
  readonly code: FederationErrorCode;
  readonly detail: string;
  constructor(code: FederationErrorCode, detail = '') {
    const rule = federationCatalogue[code];
    super(`${code}: ${rule.en}${detail ? ` (${detail})` : ''}`);
    this.name = 'FederationError';
    this.code = code;
    this.detail = detail;
  }
}
