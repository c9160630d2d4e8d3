import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {usageError} from '../../errors.js'
import {dryRunFlags, waitFlags} from '../../flags/index.js'
import {caValidityFlags, validityFlags} from '../../flags/gateway.js'

export default class CertsRotate extends ClusterCommand<typeof CertsRotate> {
  static override summary = 'Issue a new client, server or CA certificate, distribute it, and revoke the old one.'
  static override description = `For a client: a new certificate (from the plugin's CA, or asked of cert-manager as "cmctl renew" does), written to the provider; once the client is connected with it, the new serial is recorded and the old one revoked (one registry update). If anything fails before that, the old certificate is put back and stays recorded. With --no-wait the old certificate stays valid, listed as superseded, until "certs revoke --superseded".
For the server (--server): a new server certificate from the same CA, loaded by the running server in place (no new pod; clients reconnect within about a second).
For the CA (--ca): a new CA. The server, then every client, trusts both CAs while each client gets a certificate from the new one and reconnects; the server then moves to the new CA and the old CA's serial is revoked (refused at every depth of a chain); last, every client trusts the new CA alone. A provider that cannot be reached keeps working on the old CA: the command says which and exits 5, and running it again continues where it stopped ("certs status" shows who is left). Works in both modes.`
  static override examples = [
    '<%= config.bin %> certs rotate --to ctx-b',
    '<%= config.bin %> certs rotate --client eu-west',
    '<%= config.bin %> certs rotate --server',
    '<%= config.bin %> certs rotate --ca',
    '<%= config.bin %> certs rotate --to ctx-b --dry-run',
  ]
  static override flags = {
    to: Flags.string({description: 'Context of the provider whose client to rotate.', exclusive: ['server', 'client', 'ca']}),
    client: Flags.string({description: 'Name of the client to rotate.', exclusive: ['server', 'ca']}),
    server: Flags.boolean({description: 'Rotate the server certificate instead.', exclusive: ['ca']}),
    ca: Flags.boolean({description: 'Rotate the CA: every peer moves to a new CA without downtime, then the old one is dropped.'}),
    ...validityFlags,
    ...caValidityFlags,
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const options = {certDays: this.flags['cert-days'], caDays: this.flags['ca-days'], ...this.live()}
    if (this.flags.ca) {
      if (!options.wait) throw usageError('a CA rotation waits for every peer to reconnect before it drops the old CA', 'leave out --no-wait')
      const {rotateCa} = await import('../../gateway/certs/ca.js')
      return this.finish(await rotateCa(home, options, this.reporter), (r) => [...r.done.map((d) => `• ${d}`), r.summary].join('\n'))
    }
    const {rotateClient, rotateServer} = await import('../../gateway/certs/rotate.js')
    if (this.flags.server) return this.finish(await rotateServer(home, options, this.reporter))
    if (!this.flags.to && !this.flags.client) throw usageError('nothing to rotate', 'pass --to CONTEXT, --client NAME, --server or --ca')
    const selector = this.flags.client ? {client: this.flags.client} : {context: this.flags.to}
    return this.finish(await rotateClient(home, selector, options, this.reporter))
  }
}
