import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {validityFlags} from '../../flags/gateway.js'
import {DEFAULT_NAMESPACE} from '../../render/names.js'

export default class CertsExport extends ClusterCommand<typeof CertsExport> {
  static override summary = 'Write a client\'s Secrets and objects to a file, for a provider this kubeconfig cannot reach.'
  static override description = `Registers the client (or issues it a new certificate, revoking the previous one) and writes its objects, private key included, to --file with permissions 0600. The key is never printed.`
  static override examples = ['<%= config.bin %> certs export --client air-gapped --address gw.example.com --file air-gapped.yaml']
  static override flags = {
    client: Flags.string({description: 'Client name (certificate CN).', required: true}),
    file: Flags.string({description: 'Where to write the manifest (default: CLIENT-svcgw-client.yaml).'}),
    'client-namespace': Flags.string({description: 'Namespace of the client in the provider.', default: DEFAULT_NAMESPACE}),
    address: Flags.string({description: 'Server address the provider dials (default: the stored one).'}),
    ...validityFlags,
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
      },
      this.reporter,
    )
    return this.emit(result, (r) => r.summary)
  }
}
