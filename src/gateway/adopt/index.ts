import {conflictError, usageError} from '../../errors.js'
import type {Cluster} from '../../kube/cluster.js'
import type {KubeObject, Secret} from '../../kube/object.js'
import {DEFAULT_TUNNEL_NETWORK} from '../../registry/allocate.js'
import {validateNamespaceName} from '../../registry/validate.js'
import {names, secretKeys} from '../../render/names.js'
import {generateTlsCryptKey} from '../../pki/tls-crypt.js'
import type {Takeover} from '../../registry/types.js'
import {caSecret, tlsCryptSecret} from '../../render/server.js'
import type {Reporter} from '../../ui/reporter.js'
import type {ExposeRequest} from '../expose.js'
import type {Home} from '../home.js'
import {resolveSettings} from '../settings-from-flags.js'
import {type AdoptedClient, type ChartInstall, planAdoption, type SecretData} from './chart-plan.js'

/** The chart's namespaces (its README's defaults). */
export const CHART_SERVER_NAMESPACE = 'server'
export const CHART_CLIENT_NAMESPACE = 'client'

export interface AdoptOptions {
  clientNamespace: string
  /** From -f values.yaml; absent: no services adopted (expose them later with expose -f). */
  services?: ExposeRequest[]
  /** PEM of --ca-key-file. */
  caKey?: string
}

export interface AdoptResult {
  context: string
  namespace: string
  dryRun: boolean
  clients: AdoptedClient[]
  services: string[]
  /** Whether the gateway can issue new client certificates. */
  canIssue: boolean
  caKeySource: 'file' | 'cert-manager' | 'none'
  /** The chart's Deployments that keep running until "adopt --finish". */
  takeover: string[]
  remaining: string[]
  summary: string
}

const decoded = (secret: Secret | undefined): SecretData =>
  secret ? Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : undefined

const secretRef = (name: string, namespace: string) => ({apiVersion: 'v1', kind: 'Secret', name, namespace})

/**
 * The CA key of a cert-manager-managed chart: the server Secret names its
 * Issuer (cert-manager's annotations), a CA Issuer names its key's Secret.
 * Unreadable or absent (manual Secrets, no cert-manager): undefined.
 */
async function certManagerCaKey(cluster: Cluster, namespace: string, server: Secret | undefined, reporter: Reporter): Promise<string | undefined> {
  const annotations = server?.metadata.annotations ?? {}
  const issuerName = annotations['cert-manager.io/issuer-name']
  if (!issuerName) return undefined
  const kind = annotations['cert-manager.io/issuer-kind'] === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer'
  try {
    const issuer = await cluster.read<KubeObject & {spec?: {ca?: {secretName?: string}}}>({apiVersion: 'cert-manager.io/v1', kind, name: issuerName, ...(kind === 'Issuer' ? {namespace} : {})})
    const secretName = issuer?.spec?.ca?.secretName
    if (!secretName) return undefined
    // A ClusterIssuer's key lives in cert-manager's own namespace (its cluster resource namespace), which
    // the plugin does not read: the operator is told how to give it.
    if (kind !== 'Issuer') {
      reporter.warn(
        `the chart's certificates come from ClusterIssuer ${issuerName}, whose CA key (Secret ${secretName}) lives in cert-manager's namespace: adopting without it; ` +
          `to let the gateway issue new clients, pass --ca-key-file with it (e.g. kubectl -n cert-manager get secret ${secretName} -o jsonpath='{.data.tls\\.key}' | base64 -d > ca.key)`,
      )
      return undefined
    }
    return decoded(await cluster.read<Secret>(secretRef(secretName, namespace)))?.[secretKeys.key]
  } catch (error) {
    // Not fatal: the chart is adopted without the key (as a manual one), and the operator is told why.
    reporter.warn(`cannot read the chart's CA key through ${kind} ${issuerName} (${(error as Error).message.split('\n')[0]}): adopting without it; pass --ca-key-file to give it`)
    return undefined
  }
}

/**
 * Takes over a chart install's state: reads its Secrets on both sides,
 * checks them (planAdoption: every bad input fails before the first write),
 * then stores the registry and settings in the chart's server namespace,
 * the CA key if known, a tls-crypt key of its own, and a pending take-over
 * of the chart's Deployments (adopt --finish completes it).
 * Certificates are kept exactly as they are: no client is re-issued.
 */
export async function adoptChart(home: Home, providerContexts: string[], options: AdoptOptions, reporter: Reporter): Promise<AdoptResult> {
  const {cluster, namespace} = home
  validateNamespaceName(options.clientNamespace, '--client-namespace')
  if (await home.store.find()) {
    throw conflictError(`namespace "${namespace}" of context "${cluster.context}" already holds a gateway registry`, 'the chart was adopted already: use "kubectl svcgw status"; or uninstall the plugin\'s server there first')
  }
  const serverSecret = await cluster.read<Secret>(secretRef(names.serverCertificates, namespace))
  const providers = providerContexts.map((context) => ({context, cluster: home.session.open(context)}))
  const clientSecrets = await Promise.all(providers.map((p) => p.cluster.read<Secret>(secretRef(names.clientCertificates, options.clientNamespace))))
  const fromCertManager = options.caKey ? undefined : await certManagerCaKey(cluster, namespace, serverSecret, reporter)
  const caKey = options.caKey ? {pem: options.caKey, source: 'file' as const} : fromCertManager ? {pem: fromCertManager, source: 'cert-manager' as const} : undefined
  const chart: ChartInstall = {
    serverNamespace: namespace,
    server: decoded(serverSecret),
    clients: providers.map((p, i) => ({context: p.context, namespace: options.clientNamespace, secret: decoded(clientSecrets[i])})),
    ...(caKey ? {caKey} : {}),
    services: options.services ?? [],
    tunnelNetwork: DEFAULT_TUNNEL_NETWORK,
  }
  const plan = planAdoption(chart)
  const takeover = plan.registry.takeover!
  // The chart's running workloads are what the take-over replaces: each must be there.
  const missing = await missingDeployments(cluster, providers, takeover)
  if (missing.length > 0) {
    throw usageError(`the chart's ${missing.join(', ')} not found`, 'pass -n and --client-namespace with the chart\'s namespaces; a chart whose workloads are gone is not taken over: install the plugin instead (docs/migration.md)')
  }
  for (const note of plan.notes) reporter.warn(note)
  const verb = cluster.dryRun ? 'would record' : 'recorded'
  reporter.step(`${verb} ${plan.clients.length} client(s) with the certificates they hold: ${plan.clients.map((c) => `${c.name} (serial ${c.serial})`).join(', ')}`)

  // Writes begin here, all validated above. The registry first: its creation is what marks the chart adopted.
  const settings = {...resolveSettings(undefined, plan.pki.noCaKey ? {pki: plan.pki} : {}), ...(plan.serverName ? {serverName: plan.serverName} : {})}
  // A chart's own CA Secret may carry our name already (cert-manager's chain): never remove one we did not create.
  const caSecretExisted = Boolean(await cluster.read(secretRef(names.ca, namespace)))
  // The chart has no tls-crypt key; the plugin's server and clients share one of their own.
  const tlsCryptExisted = Boolean(await cluster.read(secretRef(names.tlsCrypt, namespace)))
  await home.store.ensure(plan.registry, settings)
  try {
    if (plan.ca.key) await cluster.apply(caSecret({cert: plan.ca.cert, key: plan.ca.key}, namespace))
    if (!tlsCryptExisted) await cluster.apply(tlsCryptSecret(generateTlsCryptKey(), namespace))
  } catch (error) {
    // Nothing half-applied: without its registry the namespace is as before, and adopt can run again.
    await cluster.remove({apiVersion: 'v1', kind: 'ConfigMap', name: names.registry, namespace}).catch(() => undefined)
    if (plan.ca.key && !caSecretExisted) await cluster.remove(secretRef(names.ca, namespace)).catch(() => undefined)
    throw error
  }
  reporter.step(`${cluster.dryRun ? 'would record' : 'recorded'} a pending take-over of ${describeTakeover(takeover).join(', ')}`)

  const remaining = remainingSteps(home, providerContexts, plan.pki.noCaKey === true, options.services === undefined)
  const canIssue = !plan.pki.noCaKey
  return {
    context: cluster.context,
    namespace,
    dryRun: cluster.dryRun,
    clients: plan.clients,
    services: plan.services.map((s) => `${s.name}:${s.port} (internalPort ${s.internalPort})`),
    canIssue,
    caKeySource: plan.ca.keySource ?? 'none',
    takeover: describeTakeover(takeover),
    remaining,
    summary: [
      `${cluster.dryRun ? 'would adopt' : 'adopted'} the chart's gateway in namespace ${namespace} of ${cluster.context}: ${plan.clients.length} client(s) (${plan.clients.map((c) => c.name).join(', ')}), ${plan.services.length} service(s), certificates kept as they are`,
      canIssue ? `the CA key (${plan.ca.keySource === 'file' ? 'from --ca-key-file' : 'from cert-manager\'s CA Secret'}) is stored in ${names.ca}: new clients can be installed` : `no CA key: new clients need "kubectl svcgw adopt ... --ca-key-file" or a CA rotation ("kubectl svcgw certs rotate --ca")`,
      'still to do:',
      ...remaining.map((r, i) => `  ${i + 1}. ${r}`),
    ].join('\n'),
  }
}

/** The chart's Deployments a take-over replaces, as "deployment NAME (namespace NS of CONTEXT)". */
export const describeTakeover = (takeover: Takeover): string[] => [
  `deployment ${takeover.server.deployment} (namespace ${takeover.server.namespace})`,
  ...takeover.clients.map((c) => `deployment ${c.deployment} (namespace ${c.namespace} of ${c.context})`),
]

async function missingDeployments(cluster: Cluster, providers: Array<{cluster: Cluster}>, takeover: Takeover): Promise<string[]> {
  const ref = (name: string, namespace: string) => ({apiVersion: 'apps/v1', kind: 'Deployment', name, namespace})
  const found = await Promise.all([
    cluster.read(ref(takeover.server.deployment, takeover.server.namespace)),
    ...takeover.clients.map((c, i) => providers[i].cluster.read(ref(c.deployment, c.namespace))),
  ])
  return describeTakeover(takeover).filter((_, i) => !found[i])
}

/** What the operator must still do after the state is adopted, in order. */
export function remainingSteps(home: Home, providerContexts: string[], noCaKey: boolean, noServices: boolean): string[] {
  const n = `-n ${home.namespace}`
  const ctx = `--context ${home.cluster.context}`
  return [
    ...(noServices ? [`record the chart's services: "kubectl svcgw expose ${ctx} ${n} -f server-values.yaml"`] : []),
    `install the plugin's server beside the chart's (the consumer Services stay the chart's meanwhile): "kubectl svcgw server install ${ctx} ${n}"`,
    `install the plugin's clients beside the chart's, with the certificates they hold: "kubectl svcgw client install ${ctx} ${n} ${providerContexts.map((c) => `--to ${c}`).join(' ')}"`,
    `switch the consumer Services to the plugin's server and scale the chart's Deployments to 0: "kubectl svcgw adopt --finish ${ctx} ${n}"`,
    ...(noCaKey ? ['before adding a provider: "kubectl svcgw certs rotate --ca", or adopt with --ca-key-file'] : []),
  ]
}
