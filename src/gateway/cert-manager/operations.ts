import {conflictError, notFoundError, SvcgwError, timeoutError} from '../../errors.js'
import {Cluster, isConflict} from '../../kube/cluster.js'
import type {ObjectRef, Secret} from '../../kube/object.js'
import {sleep} from '../../kube/wait.js'
import type {KeyPair} from '../../pki/certificates.js'
import type {IssuerRef} from '../../registry/settings.js'
import {CERT_MANAGER_API, type CertificateObject, conditionOf, type IssuerObject} from '../../render/cert-manager.js'
import {secretKeys} from '../../render/names.js'
import type {Reporter} from '../../ui/reporter.js'

const POLL_MS = 250

/** Whether cert-manager's CRDs are installed in the cluster (what `server install` detects and suggests). */
export const certManagerServed = (cluster: Cluster): Promise<boolean> => cluster.serves(CERT_MANAGER_API, 'Certificate')

export async function requireCertManager(cluster: Cluster): Promise<void> {
  if (!(await certManagerServed(cluster))) {
    throw notFoundError(
      `cert-manager is not installed in context "${cluster.context}" (no ${CERT_MANAGER_API} Certificate resource)`,
      'install cert-manager there first, or leave out --cert-manager to let the plugin issue the certificates itself',
    )
  }
}

const certificateRef = (namespace: string, name: string): ObjectRef => ({apiVersion: CERT_MANAGER_API, kind: 'Certificate', name, namespace})

export const readCertificate = (cluster: Cluster, namespace: string, name: string) => cluster.read<CertificateObject>(certificateRef(namespace, name))

/** Ready for the Certificate's current spec, and not in the middle of an issuance. */
export function certificateReady(certificate: CertificateObject | undefined): boolean {
  const ready = conditionOf(certificate, 'Ready')
  return (
    ready?.status === 'True' &&
    (ready.observedGeneration ?? 0) >= (certificate?.metadata.generation ?? 0) &&
    conditionOf(certificate, 'Issuing')?.status !== 'True'
  )
}

function why(object: {status?: {conditions?: Array<{type: string; status: string; reason?: string; message?: string}>}} | undefined): string {
  const failing = object?.status?.conditions?.find((c) => (c.type === 'Ready' && c.status !== 'True') || (c.type === 'Issuing' && c.reason && c.reason !== 'ManuallyTriggered'))
  return failing ? `${failing.reason ?? failing.status}${failing.message ? `: ${failing.message}` : ''}` : 'no status from cert-manager yet (is its controller running?)'
}

async function until<T>(deadline: number, probe: () => Promise<T | undefined>, onTimeout: () => Promise<SvcgwError>): Promise<T> {
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() >= deadline) throw await onTimeout()
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())))
  }
}

/** Waits until cert-manager says the Certificate is Ready for its spec; `after` (a revision) asks for a newer issuance. */
export async function waitCertificate(cluster: Cluster, namespace: string, name: string, deadline: number, after?: number): Promise<CertificateObject> {
  if (cluster.dryRun) return (await readCertificate(cluster, namespace, name))!
  return until(
    deadline,
    async () => {
      const certificate = await readCertificate(cluster, namespace, name)
      return certificateReady(certificate) && (after === undefined || (certificate!.status?.revision ?? 0) > after) ? certificate : undefined
    },
    async () =>
      timeoutError(
        `cert-manager did not issue certificate/${name} in namespace ${namespace} of "${cluster.context}" in time (${why(await readCertificate(cluster, namespace, name))})`,
        `check "kubectl --context ${cluster.context} -n ${namespace} describe certificate ${name}" and its CertificateRequests, or raise --timeout`,
      ),
  )
}

/** Applies an Issuer or ClusterIssuer and waits until it is Ready. */
export async function waitIssuer(cluster: Cluster, ref: IssuerRef, namespace: string, deadline: number): Promise<IssuerObject> {
  const issuerRef: ObjectRef = {apiVersion: CERT_MANAGER_API, kind: ref.kind, name: ref.name, ...(ref.kind === 'Issuer' ? {namespace} : {})}
  const read = () => cluster.read<IssuerObject>(issuerRef)
  const first = await read()
  if (!first) {
    throw notFoundError(
      `${ref.kind} ${ref.name} does not exist${ref.kind === 'Issuer' ? ` in namespace ${namespace}` : ''} of "${cluster.context}"`,
      'create it first, or name another one with --issuer KIND/NAME',
    )
  }
  if (cluster.dryRun) return first
  return until(
    deadline,
    async () => {
      const issuer = await read()
      const ready = conditionOf(issuer, 'Ready')
      return ready?.status === 'True' && (ready.observedGeneration ?? 0) >= (issuer?.metadata.generation ?? 0) ? issuer : undefined
    },
    async () =>
      timeoutError(
        `${ref.kind} ${ref.name} in "${cluster.context}" is not Ready (${why(await read())})`,
        `check "kubectl --context ${cluster.context}${ref.kind === 'Issuer' ? ` -n ${namespace}` : ''} describe ${ref.kind.toLowerCase()} ${ref.name}", or raise --timeout`,
      ),
  )
}

/**
 * Asks cert-manager for a new certificate now, the way `cmctl renew` does:
 * the Certificate's status gets the condition Issuing=True (reason
 * ManuallyTriggered), which its trigger controller acts on. Returns the
 * revision before, for waitCertificate(…, after).
 */
export async function renewCertificate(cluster: Cluster, namespace: string, name: string, reporter: Reporter): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const certificate = await readCertificate(cluster, namespace, name)
    if (!certificate) throw notFoundError(`certificate/${name} is missing in namespace ${namespace} of "${cluster.context}"`, 'run the install again')
    const revision = certificate.status?.revision ?? 0
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
    const conditions = (certificate.status?.conditions ?? []).filter((c) => c.type !== 'Issuing')
    conditions.push({
      type: 'Issuing',
      status: 'True',
      reason: 'ManuallyTriggered',
      message: 'Certificate re-issuance manually triggered by kubectl-svcgw',
      lastTransitionTime: now,
      observedGeneration: certificate.metadata.generation,
    })
    try {
      await cluster.replaceStatus({...certificate, status: {...certificate.status, conditions}}, 'certificates')
      reporter.step(`${cluster.dryRun ? 'would ask' : 'asked'} cert-manager for a new certificate/${name}`)
      return revision
    } catch (error) {
      if (!isConflict(error) || attempt >= 5) throw error
    }
  }
}

const decode = (secret: Secret | undefined, key: string): string | undefined => {
  const value = secret?.data?.[key]
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8')
}

export interface IssuedSecret extends KeyPair {
  /** ca.crt as cert-manager wrote it: the issuing CA (CA issuers), possibly empty for other issuers. */
  ca?: string
}

/** A Secret that cert-manager issued into: its key pair and ca.crt. */
export async function readIssuedSecret(cluster: Cluster, namespace: string, name: string): Promise<IssuedSecret | undefined> {
  const secret = await cluster.read<Secret>({apiVersion: 'v1', kind: 'Secret', name, namespace})
  const cert = decode(secret, secretKeys.cert)
  const key = decode(secret, secretKeys.key)
  if (!cert || !key) return undefined
  const ca = decode(secret, secretKeys.ca)
  return {cert, key, ...(ca ? {ca} : {})}
}

export async function requireIssuedSecret(cluster: Cluster, namespace: string, name: string, certificate: string): Promise<IssuedSecret> {
  const issued = await readIssuedSecret(cluster, namespace, name)
  if (!issued) {
    throw conflictError(
      `certificate/${certificate} is Ready but its Secret ${name} in namespace ${namespace} of "${cluster.context}" has no tls.crt and tls.key`,
      `check "kubectl --context ${cluster.context} -n ${namespace} describe certificate ${certificate}"`,
    )
  }
  return issued
}
