import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Where a subscription's webhook may point: a public https address. Loopback, private, link-local, CGNAT,
// multicast and unspecified ranges are refused — a node would otherwise call into its own network on an
// integrator's behalf — unless the node's operators allow that integrator private targets. The name is resolved
// when the subscription is made and again before every call, so a name that later points inside is refused too.

const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  internal.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['::ffff:0:0', 96],
] as const)
  internal.addSubnet(network, prefix, 'ipv6');

export const isInternalAddress = (address: string) => {
  const family = isIP(address);
  if (family === 0) return true;
  return internal.check(address, family === 6 ? 'ipv6' : 'ipv4');
};

/** What is wrong with a webhook target for this integrator; undefined when it may be called. */
export async function targetProblem(target: string, allowPrivateTargets: boolean): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'webhookUrl is not a URL';
  }
  if (url.username || url.password) return 'webhookUrl must not carry credentials';
  if (url.protocol !== 'https:' && !(allowPrivateTargets && url.protocol === 'http:'))
    return 'webhookUrl must be https';
  if (allowPrivateTargets) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `webhookUrl's host ${host} does not resolve`;
  }
  const inside = addresses.find(isInternalAddress);
  return inside ? `webhookUrl's host ${host} is a loopback or private address (${inside})` : undefined;
}
