import {waitForRollout} from '../../kube/wait.js'
import {dirs} from '../../dataplane/layout.js'
import {inspectCertificate, serialToDecimal} from '../../pki/inspect.js'
import {replaceCertificate, supersedeCertificate} from '../../registry/changes.js'
import {clientKeyDigest, clientKeyMaterial, type ClientSecrets, clientWorkload} from '../../render/client.js'
import {names} from '../../render/names.js'
import {serverKeyDigest, serverKeyMaterial, serverWorkload} from '../../render/server.js'
import type {Reporter} from '../../ui/reporter.js'
import {applyAll, compensate, withCompensation} from '../apply.js'
import {Home} from '../home.js'
import {readClientKeyPair, requireServerSecrets} from '../key-material.js'
import {confirmServerFiles} from '../live.js'
import {providerOf} from '../providers.js'
import {certificateRecord} from '../server-install.js'
import {issueClientCert, issueServerCert} from '../secrets.js'
import {clientTarget, type LiveOptions, makeLive, serverLive, serverProxy, syncServerConfig} from '../sync.js'
import {clientBySelector, revokeUnused} from './revoke.js'

export interface RotateResult {
  name: string
  context?: string
  oldSerial: string
  newSerial: string
  notAfter: string
  /** Whether the old certificate is revoked (after the reconnect was seen) or left valid, superseded. */
  oldRevoked: boolean
  summary: string
}

/**
 * New client certificate, written to the provider, the client seen
 * connected with it (its new pod Ready, and Ready means connected), and
 * only then one registry update: the new serial recorded and the old one
 * revoked. A failure before that puts the old certificate back in the
 * provider and leaves it recorded. Without --wait nothing is seen, so the
 * old certificate stays valid and is listed as superseded.
 */
export async function rotateClient(home: Home, selector: {client?: string; context?: string}, options: {certDays: number} & LiveOptions, reporter: Reporter): Promise<RotateResult> {
  const {registry} = await home.store.load()
  const client = clientBySelector(registry, selector)
  const provider = providerOf(home, client, selector.context)
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const held = await readClientKeyPair(provider.cluster, provider.namespace)
  const issued = issueClientCert(secrets.ca, client.name, options.certDays)
  const next = certificateRecord(issued.cert)
  const {settings} = await home.store.load()
  const target = clientTarget(registry, client.name, provider.namespace, settings)
  const objectsFor = (keys: ClientSecrets) => [...clientKeyMaterial(keys, provider.namespace), ...clientWorkload(settings, target, clientKeyDigest(keys)).filter((o) => o.kind === 'Deployment')]
  try {
    await applyAll(provider.cluster, objectsFor({caCert: secrets.ca.cert, client: {cert: issued.cert, key: issued.key}, tlsCrypt: secrets.tlsCrypt}), reporter)
    if (options.wait && !provider.cluster.dryRun) {
      await waitForRollout(provider.cluster, provider.namespace, names.clientDeployment, Math.max(0, options.deadline - Date.now()), (line) => reporter.step(line))
    }
  } catch (error) {
    const leftovers = held
      ? await compensate(`the previous certificate of ${client.name} in ${provider.cluster.context}`, () =>
          applyAll(provider.cluster, objectsFor({caCert: secrets.ca.cert, client: held, tlsCrypt: secrets.tlsCrypt}), reporter),
        )
      : []
    // The new certificate may have reached the provider: nobody is meant to hold it, so it must not stay valid.
    leftovers.push(...(await compensate(`revoking the unused serial ${next.serial}`, () => revokeUnused(home, client.name, next.serial, reporter))))
    throw withCompensation(error, leftovers)
  }
  if (!options.wait) {
    await home.store.update((reg) => supersedeCertificate(reg, client.name, next))
    reporter.warn(`not waiting for the reconnect (--no-wait): serial ${client.serial} stays valid; revoke it with "kubectl svcgw certs revoke --client ${client.name} --superseded" once the client runs the new one`)
  } else {
    const {stored} = await home.store.update((reg) => replaceCertificate(reg, client.name, next))
    await syncServerConfig(home, stored, reporter)
    await makeLive([serverLive(home)], options, reporter)
    await confirmServerFiles(serverProxy(home), {present: [`${dirs.crl}/${serialToDecimal(client.serial)}`]}, options.deadline)
  }
  const verb = home.cluster.dryRun ? 'would rotate' : 'rotated'
  return {
    name: client.name,
    ...(client.context ? {context: client.context} : {}),
    oldSerial: client.serial,
    newSerial: next.serial,
    notAfter: next.notAfter,
    oldRevoked: options.wait,
    summary: `${verb} the certificate of client ${client.name}: serial ${next.serial} valid until ${next.notAfter}; old serial ${client.serial} ${options.wait ? 'revoked' : 'still valid (superseded)'}`,
  }
}

/** A new server certificate from the same CA; the server restarts and clients reconnect by themselves. */
export async function rotateServer(home: Home, options: {certDays: number} & LiveOptions, reporter: Reporter): Promise<RotateResult> {
  const {settings} = await home.store.load()
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const old = inspectCertificate(secrets.server.cert)
  const issued = issueServerCert(secrets.ca, options.certDays)
  const next = {...secrets, server: {cert: issued.cert, key: issued.key}}
  await applyAll(
    home.cluster,
    [...serverKeyMaterial(next, home.namespace).filter((o) => o.metadata.name === names.serverCertificates), ...serverWorkload(settings, home.namespace, serverKeyDigest(next)).filter((o) => o.kind === 'Deployment')],
    reporter,
  )
  await home.store.update((reg) => {
    reg.certificates = {...reg.certificates, server: certificateRecord(issued.cert)}
  })
  if (options.wait && !home.cluster.dryRun) {
    await waitForRollout(home.cluster, home.namespace, names.serverDeployment, Math.max(0, options.deadline - Date.now()), (line) => reporter.step(line))
  }
  const notAfter = inspectCertificate(issued.cert).notAfter.toISOString()
  return {
    name: 'svcgw-server',
    oldSerial: old.serial,
    newSerial: issued.serial,
    notAfter,
    oldRevoked: false,
    summary: `${home.cluster.dryRun ? 'would rotate' : 'rotated'} the server certificate: serial ${issued.serial} valid until ${notAfter}; clients reconnect after the server restarts`,
  }
}
