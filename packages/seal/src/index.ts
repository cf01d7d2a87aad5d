export { SealError, type SealErrorCode } from './errors.ts';
export { devSealKeys, type Keyring, parseKeyring } from './keyring.ts';
export { open, openPerson, openText, seal, sealPerson, sealText } from './seal.ts';
