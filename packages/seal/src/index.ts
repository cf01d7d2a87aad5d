export { SealError, type SealErrorCode } from './errors.ts';
export { devSealKeys, type Keyring, parseKeyring } from './keyring.ts';
export { open, openPerson, seal, sealPerson } from './seal.ts';
