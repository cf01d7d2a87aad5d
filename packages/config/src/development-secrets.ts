import { ConfigError } from './load-config.ts';

// The secrets a service needs have development values published in this repository, so that `npm start`
// and the tests run on a fresh clone. A process that would run with one of them refuses to start — as a
// configuration error naming each variable — unless its environment says it is a development network
// (`ALLOW_DEVELOPMENT_SECRETS=true`, which `npm start`, the fault proof and the benchmarks set).

export const allowDevelopmentSecretsVariable = 'ALLOW_DEVELOPMENT_SECRETS';

/** The variables of `inUse` that hold their development value. */
export const developmentSecretsInUse = (inUse: Readonly<Record<string, boolean>>) =>
  Object.entries(inUse)
    .filter(([, used]) => used)
    .map(([variable]) => variable);

/**
 * `inUse` maps each secret's variable to whether it holds the published development value. Throws a
 * ConfigError naming those that do, unless they are allowed; answers the ones in use (to warn about).
 */
export function refuseDevelopmentSecrets(
  inUse: Readonly<Record<string, boolean>>,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const variables = developmentSecretsInUse(inUse);
  if (variables.length === 0 || env[allowDevelopmentSecretsVariable] === 'true') return variables;
  throw new ConfigError(
    variables.map((variable) => ({
      variable,
      message: `holds the development value published in the repository: set a secret of your own (or ${allowDevelopmentSecretsVariable}=true on a development network)`,
    })),
  );
}
