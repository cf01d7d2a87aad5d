import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@petition/logging';

// The local broker's optional SASL_SSL listener: what a deployment's brokers speak to the services (TLS
// with SCRAM users), made on one machine so that the bus can be tested against it. A certificate authority
// of its own signs the broker's certificate (keytool, from the JDK the broker runs on); one SCRAM user,
// under both SCRAM mechanisms, is written into the metadata when the storage is formatted.

/** The SCRAM mechanisms the listener accepts (the user exists under both). */
export const secureListenerMechanisms = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** What a client needs to reach the secure listener. */
export interface SecureListener {
  brokers: string[];
  /** PEM of the CA that signed the broker's certificate (a client must be given it: no system trusts it). */
  caFile: string;
  username: string;
  password: string;
  mechanisms: readonly (typeof secureListenerMechanisms)[number][];
}

export interface CertificateAuthority {
  /** PEM certificate. */
  caFile: string;
  /** PKCS12 keystore holding the CA's key, under `storePassword`. */
  keystore: string;
  storePassword: string;
}

interface SecureFiles {
  dir: string;
  ca: CertificateAuthority;
  /** PKCS12 keystore with the broker's key and its chain (its certificate, the CA's), under the CA's password. */
  brokerKeystore: string;
  credentials: string;
}

const secret = () => randomBytes(16).toString('hex');

function keytool(args: string[], storePassword: string): string {
  // The password goes through the environment (`:env`), not the command line other users can read.
  const result = spawnSync('keytool', args, {
    encoding: 'utf8',
    env: { ...process.env, PETITION_STORE_PASSWORD: storePassword },
  });
  if (result.error) throw new Error(`keytool could not run (is a JDK installed?): ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`keytool ${args[0]} failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

const store = (file: string) => [
  '-keystore',
  file,
  '-storetype',
  'PKCS12',
  '-storepass:env',
  'PETITION_STORE_PASSWORD',
];

/** A new self-signed certificate authority named `name` in `dir` (made once; kept when present). */
export function ensureCertificateAuthority(dir: string, name: string): CertificateAuthority {
  const ca: CertificateAuthority = {
    caFile: join(dir, 'ca.pem'),
    keystore: join(dir, 'ca.p12'),
    storePassword: '',
  };
  const passwordFile = join(dir, 'store-password');
  if (existsSync(ca.caFile) && existsSync(ca.keystore) && existsSync(passwordFile)) {
    return { ...ca, storePassword: readFileSync(passwordFile, 'utf8').trim() };
  }
  mkdirSync(dir, { recursive: true });
  for (const file of [ca.caFile, ca.keystore]) rmSync(file, { force: true });
  const storePassword = secret();
  writeFileSync(passwordFile, storePassword, { mode: 0o600 });
  keytool(
    [
      '-genkeypair',
      '-alias',
      'ca',
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      `CN=${name}`,
      '-ext',
      'bc:c',
      '-validity',
      '3650',
      ...store(ca.keystore),
    ],
    storePassword,
  );
  keytool(['-exportcert', '-rfc', '-alias', 'ca', '-file', ca.caFile, ...store(ca.keystore)], storePassword);
  return { ...ca, storePassword };
}

/** The broker's keystore: a key for `localhost` (and its loopback addresses), signed by the local CA. */
function ensureSecureFiles(dir: string, logger: Logger): SecureFiles {
  const files: SecureFiles = {
    dir,
    ca: ensureCertificateAuthority(dir, 'petition local broker CA'),
    brokerKeystore: join(dir, 'broker.p12'),
    credentials: join(dir, 'scram-user.json'),
  };
  if (!existsSync(files.brokerKeystore)) {
    logger.info({ dir }, 'making the local broker’s TLS certificate');
    const { storePassword } = files.ca;
    const request = join(dir, 'broker.csr');
    const signed = join(dir, 'broker.pem');
    const keystore = `${files.brokerKeystore}.partial`;
    rmSync(keystore, { force: true });
    keytool(
      [
        '-genkeypair',
        '-alias',
        'broker',
        '-keyalg',
        'EC',
        '-groupname',
        'secp256r1',
        '-dname',
        'CN=localhost',
        '-validity',
        '3650',
        ...store(keystore),
      ],
      storePassword,
    );
    keytool(['-certreq', '-alias', 'broker', '-file', request, ...store(keystore)], storePassword);
    keytool(
      [
        '-gencert',
        '-alias',
        'ca',
        '-infile',
        request,
        '-outfile',
        signed,
        '-rfc',
        '-validity',
        '3650',
        '-ext',
        'SAN=dns:localhost,ip:127.0.0.1,ip:0:0:0:0:0:0:0:1',
        '-ext',
        'EKU=serverAuth',
        ...store(files.ca.keystore),
      ],
      storePassword,
    );
    keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', files.ca.caFile, ...store(keystore)], storePassword);
    keytool(['-importcert', '-alias', 'broker', '-file', signed, ...store(keystore)], storePassword);
    writeFileSync(files.brokerKeystore, readFileSync(keystore), { mode: 0o600 });
    rmSync(keystore, { force: true });
  }
  if (!existsSync(files.credentials)) {
    // Hex: the storage tool's `--add-scram` syntax has no quoting for `,` or `]` in a password.
    writeFileSync(files.credentials, JSON.stringify({ username: 'petition', password: secret() }), { mode: 0o600 });
  }
  chmodSync(dir, 0o700);
  return files;
}

/** The secure listener's material in `dir` (made once), and how the broker and a client use it. */
export function prepareSecureListener(dir: string, port: number, logger: Logger) {
  const files = ensureSecureFiles(dir, logger);
  const { username, password } = JSON.parse(readFileSync(files.credentials, 'utf8')) as {
    username: string;
    password: string;
  };
  const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const listener: SecureListener = {
    brokers: [`localhost:${port}`],
    caFile: files.ca.caFile,
    username,
    password,
    mechanisms: secureListenerMechanisms,
  };
  return {
    listener,
    /** The broker properties of the listener (besides its entries in `listeners`). */
    properties: {
      'sasl.enabled.mechanisms': secureListenerMechanisms.join(','),
      ...Object.fromEntries(
        secureListenerMechanisms.map((m) => [`listener.name.sasl_ssl.${m.toLowerCase()}.sasl.jaas.config`, jaas]),
      ),
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': files.brokerKeystore,
      'ssl.keystore.password': files.ca.storePassword,
      'ssl.key.password': files.ca.storePassword,
      'ssl.client.auth': 'none',
    } as Record<string, string>,
    /** `kafka-storage format` arguments creating the user (they take effect only at the first format). */
    formatArgs: secureListenerMechanisms.flatMap((m) => [
      '--add-scram',
      `${m}=[name=${username},password=${password}]`,
    ]),
  };
}
