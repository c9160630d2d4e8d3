import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {serverSettingFlags, validityFlags} from '../../flags/gateway.js'
import {offlineClientPlan} from '../../gateway/dry-run.js'
import {settingsFromFlags} from '../../gateway/settings-from-flags.js'
import {DEFAULT_NAMESPACE} from '../../render/names.js'
import {describeObjects} from '../../ui/summary.js'

export default class ClientInstall extends ClusterCommand<typeof ClientInstall> {
  static override summary = 'Install a gateway client in a provider cluster.'
  static override description = `Issues the client certificate from the server's CA, writes it to the provider, registers the client (fixed tunnel IP, serial, expiry), discovers the server's address and applies the client objects.
With --dry-run and no reachable server, prints the client objects with a stand-in CA.`
  static override examples = [
    '<%= config.bin %> client install --to ctx-b',
    '<%= config.bin %> client install --to ctx-b --to ctx-c',
    '<%= config.bin %> client install --to ctx-b --name eu-west --client-namespace gateways',
    '<%= config.bin %> client install --dry-run -o yaml --name ctx-b --address gw.example.com',
  ]
  static override flags = {
    to: Flags.string({description: 'Kubeconfig context of a provider cluster (repeatable).', multiple: true}),
    name: Flags.string({description: 'Client name (certificate CN); default: the context name, made DNS-safe.'}),
    'client-namespace': Flags.string({description: "Namespace of the client in the provider (default: that context's namespace, then svcgw)."}),
    address: serverSettingFlags.address,
    proto: serverSettingFlags.proto,
    port: serverSettingFlags.port,
    'tunnel-network': serverSettingFlags['tunnel-network'],
    'cluster-domain': serverSettingFlags['cluster-domain'],
    'openvpn-image': serverSettingFlags['openvpn-image'],
    'haproxy-image': serverSettingFlags['haproxy-image'],
    ...validityFlags,
    wait: Flags.boolean({description: 'Wait for each client to roll out.', default: true, allowNo: true}),
  }

  async run(): Promise<unknown> {
    if (this.flags['dry-run'] && !this.flags.to) {
      const settings = settingsFromFlags({...this.flags, 'service-type': 'ClusterIP'})
      const clientName = this.flags.name ?? 'client'
      const namespace = this.flags['client-namespace'] ?? this.flags.namespace ?? DEFAULT_NAMESPACE
      const serverAddress = this.flags.address ?? `svcgw-server.${namespace}.svc.${settings.clusterDomain}`
      const objects = offlineClientPlan(settings, {clientName, namespace, serverAddress}, {caDays: 3650, certDays: this.flags['cert-days']})
      if (!this.flags.address) this.reporter.warn(`no --address given: the client dials ${serverAddress}, which works only inside the server's cluster`)
      this.emitObjects(objects, () => describeObjects(objects, 'created (dry run)'))
      return objects
    }
    const {installClients} = await import('../../gateway/client-install.js')
    const result = await installClients(await this.home(), await this.providerContexts(), this.flags, this.reporter)
    return this.emit(result, (r) => r.summary)
  }
}
