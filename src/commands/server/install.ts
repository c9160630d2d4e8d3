import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {usageError} from '../../errors.js'
import {dryRunFlags, relabelFlag, waitFlags} from '../../flags/index.js'
import {caValidityFlags, pkiFlags, serverSettingFlags, validityFlags} from '../../flags/gateway.js'
import {resolveSettings, settingOverrides} from '../../gateway/settings-from-flags.js'
import {DEFAULT_NAMESPACE} from '../../render/names.js'
import {describeObjects} from '../../ui/summary.js'

export default class ServerInstall extends ClusterCommand<typeof ServerInstall> {
  static override summary = 'Install the gateway server in the home cluster.'
  static override description = `Creates the gateway namespace (default svcgw), the CA and server certificate (kept across re-runs), the registry and the server objects, and waits for the server to be ready.
With --cert-manager, cert-manager issues the certificates: the plugin makes a CA chain in the gateway namespace (a self-signed Issuer, a CA Certificate, a CA Issuer), or uses --issuer, and a Certificate for the server (service-gw-server-certificates) and later one per client, each waited for until Ready. The mode is stored; later commands act accordingly. When cert-manager is installed but not asked for, the command says so.
An existing namespace is used as it is when its Pod Security level admits the gateway (privileged); a stricter one is refused unless --relabel-namespace allows raising it (uninstall puts it back).
--dry-run asks the apiserver to validate every object without storing it and prints the diff; with --offline it contacts no cluster and prints every object with fresh certificates (Secrets masked unless --show-secrets).`
  static override examples = [
    '<%= config.bin %> server install',
    '<%= config.bin %> server install --service-type NodePort --proto udp',
    '<%= config.bin %> server install --dry-run',
    '<%= config.bin %> server install --cert-manager --renew-before 720h',
    '<%= config.bin %> server install --cert-manager --issuer ClusterIssuer/company-ca',
    '<%= config.bin %> server install --dry-run --offline --show-secrets -o yaml > svcgw-server.yaml',
  ]
  static override flags = {
    ...serverSettingFlags,
    ...pkiFlags,
    ...caValidityFlags,
    ...validityFlags,
    ...relabelFlag,
    ...waitFlags,
    ...dryRunFlags,
    offline: Flags.boolean({description: 'With --dry-run: contact no cluster, render every object with fresh certificates.', dependsOn: ['dry-run']}),
  }

  async run(): Promise<unknown> {
    const overrides = settingOverrides(this.flags)
    const lifetimes = {caDays: this.flags['ca-days'], certDays: this.flags['cert-days']}
    if (this.flags.offline && overrides.pki) throw usageError('--offline renders certificates the plugin issues itself', 'leave out --cert-manager: cert-manager issues nothing without a cluster')
    if (this.flags.offline) {
      const {offlineServerPlan} = await import('../../gateway/offline-plan.js')
      const {plannedObjects} = await import('../../ui/dry-run-report.js')
      const objects = offlineServerPlan(resolveSettings(undefined, overrides), this.flags.namespace ?? DEFAULT_NAMESPACE, lifetimes)
      const shown = plannedObjects(objects, this.flags['show-secrets'])
      this.emitObjects(shown, () => describeObjects(objects, 'created (dry run, offline)'))
      return shown
    }
    const {installServer} = await import('../../gateway/server-install.js')
    const result = await installServer(
      await this.home(),
      overrides,
      lifetimes,
      {wait: this.flags.wait, timeoutMs: this.timeoutMs, relabelNamespace: this.flags['relabel-namespace']},
      this.reporter,
    )
    return this.finish(result)
  }
}
