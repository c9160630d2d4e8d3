import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {usageError} from '../../errors.js'
import {dryRunFlags, relabelFlag, waitFlags} from '../../flags/index.js'
import {serverSettingFlags, validityFlags} from '../../flags/gateway.js'
import {DEFAULT_NAMESPACE, names} from '../../render/names.js'
import {validateAddress, validateClientName, validateNamespaceName} from '../../registry/validate.js'
import {describeObjects} from '../../ui/summary.js'

export default class ClientInstall extends ClusterCommand<typeof ClientInstall> {
  static override summary = 'Install a gateway client in a provider cluster.'
  static override description = `Issues the client certificate from the server's CA, registers the client (fixed tunnel IP, serial, expiry) so the server admits it, writes its objects to the provider (namespace svcgw unless --client-namespace) and waits until it is connected.
Re-running converges; a certificate near expiry is replaced, and the old one is revoked only once the client runs the new one.
--dry-run validates every write with the apiserver in both clusters and prints the diff. With --offline it contacts no provider: the client is signed by the server's CA, read from the home cluster or from --server-manifest (the output of "server install --dry-run --offline --show-secrets").`
  static override examples = [
    '<%= config.bin %> client install --to ctx-b',
    '<%= config.bin %> client install --to ctx-b --to ctx-c',
    '<%= config.bin %> client install --to ctx-b --name eu-west --client-namespace gateways',
    '<%= config.bin %> client install --dry-run --to ctx-b',
    '<%= config.bin %> client install --dry-run --offline --server-manifest server.yaml --name edge --address gw.example.com --show-secrets -o yaml',
  ]
  static override flags = {
    to: Flags.string({description: 'Kubeconfig context of a provider cluster (repeatable).', multiple: true}),
    name: Flags.string({description: 'Client name (certificate CN); default: the context name, made DNS-safe.'}),
    'client-namespace': Flags.string({description: 'Namespace of the client in the provider (default: svcgw).'}),
    address: serverSettingFlags.address,
    ...validityFlags,
    ...relabelFlag,
    ...waitFlags,
    ...dryRunFlags,
    offline: Flags.boolean({description: 'With --dry-run: contact no provider; print the client objects.', dependsOn: ['dry-run'], exclusive: ['to']}),
    'server-manifest': Flags.string({description: 'With --offline: the server objects to sign with (instead of reading the home cluster).', dependsOn: ['offline']}),
  }

  async run(): Promise<unknown> {
    // Every value that reaches a config file is checked before any cluster is contacted.
    if (this.flags.address !== undefined) validateAddress(this.flags.address)
    if (this.flags.name !== undefined) validateClientName(this.flags.name)
    if (this.flags['client-namespace'] !== undefined) validateNamespaceName(this.flags['client-namespace'], '--client-namespace')
    if (this.flags.offline) return this.offline()
    const {installClients} = await import('../../gateway/client-install.js')
    const result = await installClients(
      await this.home(),
      await this.providerContexts(),
      {
        name: this.flags.name,
        'client-namespace': this.flags['client-namespace'],
        address: this.flags.address,
        certDays: this.flags['cert-days'],
        wait: this.flags.wait,
        timeoutMs: this.timeoutMs,
        relabelNamespace: this.flags['relabel-namespace'],
      },
      this.reporter,
    )
    return this.finish(result)
  }

  private async offline(): Promise<unknown> {
    const {offlineClientPlan, readServerManifest, serverSideFromCluster} = await import('../../gateway/offline-plan.js')
    const server = this.flags['server-manifest'] ? readServerManifest(this.flags['server-manifest']) : await serverSideFromCluster(await this.home())
    const namespace = this.flags['client-namespace'] ?? DEFAULT_NAMESPACE
    const serverAddress = this.flags.address ?? server.settings.address ?? `${names.serverService}.${server.namespace}.svc.${server.settings.clusterDomain}`
    if (!this.flags.name) throw usageError('an offline client needs a name', 'pass --name')
    if (!this.flags.address && !server.settings.address) this.reporter.warn(`no --address given: the client dials ${serverAddress}, which works only inside the server's cluster`)
    const objects = offlineClientPlan(server, {clientName: this.flags.name, namespace, serverAddress, certDays: this.flags['cert-days']})
    const {plannedObjects} = await import('../../ui/dry-run-report.js')
    const shown = plannedObjects(objects, this.flags['show-secrets'])
    this.emitObjects(shown, () => describeObjects(objects, 'created (dry run, offline)'))
    return shown
  }
}
