import {waitForRollout} from '../kube/wait.js'
import type {KeyPair} from '../pki/certificates.js'
import {inspectCertificate, splitPemBundle} from '../pki/inspect.js'
import {clientKeyDigest, clientKeyMaterial, type ClientSecrets, clientWorkload} from '../render/client.js'
import {names} from '../render/names.js'
import type {KubeObject} from '../render/objects.js'
import type {Stored} from '../store/registry-store.js'
import type {Reporter} from '../ui/reporter.js'
import {applyAll, compensate} from './apply.js'
import type {Provider} from './providers.js'
import {clientTarget, type LiveOptions} from './sync.js'

type State = Pick<Stored, 'registry' | 'settings'>

/** What a provider's client Secret holds: its key pair, and in ca.crt the CAs it trusts (a bundle during a CA rotation). */
export interface ProviderKeys {
  pair: KeyPair
  trust: string[]
}

/** A provider's keys as read from its Secret (ca.crt split into its certificates). */
export const providerKeys = (held: {pair: KeyPair; ca?: string}): ProviderKeys => ({pair: held.pair, trust: splitPemBundle(held.ca ?? '')})

/** The serials of the CAs a provider trusts. */
export const trustSerials = (keys: ProviderKeys): string[] => keys.trust.map((pem) => inspectCertificate(pem).serial)

const secretsOf = (keys: ProviderKeys, tlsCrypt: string): ClientSecrets => ({caCert: keys.trust.join(''), client: keys.pair, tlsCrypt})

/**
 * A client's Secrets and its Deployment, whose restart checksum follows the
 * keys: new keys roll the client pod, which connects with them.
 */
export function clientKeyObjects(state: State, provider: Provider, keys: ProviderKeys, tlsCrypt: string): KubeObject[] {
  const secrets = secretsOf(keys, tlsCrypt)
  const target = clientTarget(state.registry, provider.clientName, provider.namespace, state.settings)
  return [...clientKeyMaterial(secrets, provider.namespace), ...clientWorkload(state.settings, target, clientKeyDigest(secrets)).filter((o) => o.kind === 'Deployment')]
}

/**
 * Writes a client's new keys to its provider and, with --wait, waits until
 * the client runs them: its new pod Ready, and Ready means connected. On a
 * failure the previous keys are put back (when they were known) and what
 * could not be undone is returned with the error, for the caller to report.
 */
export async function distribute(
  state: State,
  provider: Provider,
  next: ProviderKeys,
  previous: ProviderKeys | undefined,
  tlsCrypt: string,
  live: LiveOptions,
  reporter: Reporter,
): Promise<{error?: unknown; leftovers: string[]}> {
  try {
    await applyAll(provider.cluster, clientKeyObjects(state, provider, next, tlsCrypt), reporter)
    if (live.wait && !provider.cluster.dryRun) {
      await waitForRollout(provider.cluster, provider.namespace, names.clientDeployment, Math.max(0, live.deadline - Date.now()), (line) => reporter.step(line))
    }
    return {leftovers: []}
  } catch (error) {
    const leftovers = previous
      ? await compensate(`the previous certificate of ${provider.clientName} in ${provider.cluster.context}`, () =>
          applyAll(provider.cluster, clientKeyObjects(state, provider, previous, tlsCrypt), reporter),
        )
      : []
    return {error, leftovers}
  }
}
