/** Resolves once `check` holds, polling every 50 ms; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export { nextResidentId } from './people.ts';
export { rawHttp } from './raw-http.ts';
export {
  type TestTokenOptions,
  testStaffAudience,
  testStaffEnv,
  testStaffIssuer,
  testStaffKey,
  testToken,
} from './staff-tokens.ts';
