export { accusedOf, type Confidential, concealedFrom } from './confidentiality.ts';
export {
  type Hop,
  JurisdictionError,
  type Matter,
  type RouteMode,
  routeTo,
  unitWithAuthority,
} from './jurisdiction.ts';
