import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {dryRunFlags, waitFlags} from '../../flags/index.js'
import {validityFlags} from '../../flags/gateway.js'
import {DEFAULT_NAMESPACE} from '../../render/names.js'

export default class CertsExport extends ClusterCommand<typeof CertsExport> {
  static override summary = "Write a client's objects to a file, for a provider this kubeconfig cannot reach."
  static override description = `A new client is registered and gets a certificate: the file holds its Secrets (private key included).
A registered client gets its current config only (--config-only, the default for it): no certificate is issued and nothing is revoked, so an expose can be carried over without cutting it.
--reissue gives a registered client a new certificate; the previous one stays valid (superseded) until "certs revoke --client NAME --superseded" after the new file is applied.
The file is written 0600 through a new temporary file renamed into place (never through a symlink); the key is never printed.`
  static override examples = [
    '<%= config.bin %> certs export --client air-gapped --address gw.example.com --file air-gapped.yaml',
    '<%= config.bin %> certs export --client air-gapped --config-only --file air-gapped-config.yaml',
    '<%= config.bin %> certs export --client air-gapped --reissue --file air-gapped.yaml',
  ]
  static override flags = {
    client: Flags.string({description: 'Client name (certificate CN).', required: true}),
    file: Flags.string({description: 'Where to write the manifest (default: CLIENT-svcgw-client.yaml).'}),
    'client-namespace': Flags.string({description: 'Namespace of the client in the provider.', default: DEFAULT_NAMESPACE}),
    address: Flags.string({description: 'Server address the provider dials (default: the stored one).'}),
    'config-only': Flags.boolean({description: 'Write the current config of a registered client, without a certificate.', exclusive: ['reissue']}),
    reissue: Flags.boolean({description: 'Issue a registered client a new certificate (the previous one stays valid until revoked).'}),
    ...validityFlags,
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const {exportClient} = await import('../../gateway/certs/export.js')
    const result = await exportClient(
      home,
      {
        client: this.flags.client,
        file: this.flags.file ?? `${this.flags.client}-svcgw-client.yaml`,
        namespace: this.flags['client-namespace'],
        address: this.flags.address,
        certDays: this.flags['cert-days'],
        reissue: this.flags.reissue,
        configOnly: this.flags['config-only'],
      },
      this.live(),
      this.reporter,
    )
    return this.finish(result)
  }
}
