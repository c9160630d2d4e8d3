import {ClusterCommand} from '../../base-command.js'
import {caValidityFlags, serverSettingFlags, validityFlags} from '../../flags/gateway.js'
import {Flags} from '@oclif/core'

import {offlineServerPlan} from '../../gateway/dry-run.js'
import {settingsFromFlags} from '../../gateway/settings-from-flags.js'
import {describeObjects} from '../../ui/summary.js'
import {DEFAULT_NAMESPACE} from '../../render/names.js'

export default class ServerInstall extends ClusterCommand<typeof ServerInstall> {
  static override summary = 'Install the gateway server in the home cluster.'
  static override description = `Creates the gateway namespace, the CA and server certificate (kept across re-runs), the registry and the server objects.
With --dry-run, prints every object that would be applied (fresh certificates, no cluster contacted).`
  static override examples = [
    '<%= config.bin %> server install',
    '<%= config.bin %> server install --service-type NodePort --proto udp',
    '<%= config.bin %> server install --dry-run -o yaml > svcgw-server.yaml',
  ]
  static override flags = {
    ...serverSettingFlags,
    ...caValidityFlags,
    ...validityFlags,
    wait: Flags.boolean({description: 'Wait for the server to roll out.', default: true, allowNo: true}),
  }

  async run(): Promise<unknown> {
    const settings = settingsFromFlags(this.flags)
    const lifetimes = {caDays: this.flags['ca-days'], certDays: this.flags['cert-days']}
    if (this.flags['dry-run']) {
      const objects = offlineServerPlan(settings, this.flags.namespace ?? DEFAULT_NAMESPACE, lifetimes)
      this.emitObjects(objects, () => describeObjects(objects, 'created (dry run)'))
      return objects
    }
    const {installServer} = await import('../../gateway/server-install.js')
    const result = await installServer(await this.home(), settings, lifetimes, {wait: this.flags.wait, timeoutMs: this.flags.timeout}, this.reporter)
    return this.emit(result, (r) => r.summary)
  }
}
