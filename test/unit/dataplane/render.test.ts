import {strict as assert} from 'node:assert'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {renderClientFiles, renderServerFiles, scriptFiles} from '../../../src/dataplane/index.js'
import {checkInterval, renderClientHaproxy, renderServerHaproxy} from '../../../src/dataplane/haproxy.js'
import {files} from '../../../src/dataplane/layout.js'
import {SvcgwError} from '../../../src/errors.js'
import {serialToDecimal} from '../../../src/pki/inspect.js'
import {emptyRegistry, type Registry} from '../../../src/registry/types.js'

const registry = (): Registry => ({
  services: [
    {name: 'web', port: 80, internalPort: 20_000, clientService: {name: 'nginx', namespace: 'shop', port: 8080}},
    {name: 'api', port: 8080, internalPort: 20_001, clientService: {name: 'api', namespace: 'default', port: 9000}, clients: ['b']},
  ],
  clients: [
    {name: 'a', tunnelIP: '10.8.0.10', serial: '0a1b', notAfter: '2030-01-01T00:00:00Z'},
    {name: 'b', tunnelIP: '10.8.0.11', serial: '0c2d', notAfter: '2030-01-01T00:00:00Z'},
  ],
  revoked: [{serial: 'ff00ff00ff00ff00ff00ff00ff00ff01', commonName: 'old-a', revokedAt: '2026-01-01T00:00:00Z'}],
})

const directives = (conf: string): string[] => conf.split('\n').filter((l) => l && !l.startsWith('#'))
const has = (available: string) => spawnSync('sh', ['-c', `command -v ${available}`]).status === 0

/** Every file a config names must sit under the layout root, so the tests can run it under a temporary one. */
function assertRelativePaths(conf: string): void {
  for (const line of directives(conf)) {
    // URIs, not files.
    if (/^(stats uri|option httpchk|http-request) /.test(line.trim())) continue
    for (const word of line.trim().split(/\s+/).slice(1)) assert.ok(!/^(unix@)?\//.test(word), `absolute path in "${line.trim()}"`)
  }
}

describe('data-plane renderers', () => {
  describe('OpenVPN server', () => {
    const conf = renderServerFiles(registry(), {proto: 'udp'}).openvpn[files.serverConf]
    const lines = directives(conf)

    it('defaults to port 1194 and 10.8.0.0/24 with the server on its first host, no pool', () => {
      assert.ok(lines.includes('port 1194'))
      assert.ok(lines.includes('server 10.8.0.0 255.255.255.0 nopool'))
      assert.ok(lines.includes('topology subnet'))
    })

    it('requires client certificates, TLS 1.2+, AEAD ciphers and tls-crypt', () => {
      for (const required of [
        'tls-version-min 1.2',
        'remote-cert-tls client',
        'verify-client-cert require',
        'tls-crypt tls-crypt/tls-crypt.key',
        'ca trust/ca.crt',
        'cert tls/tls.crt',
        'key tls/tls.key',
      ]) {
        assert.ok(lines.includes(required), required)
      }
      const ciphers = lines.find((l) => l.startsWith('data-ciphers '))?.split(' ')[1].split(':')
      assert.deepEqual(ciphers, ['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'])
    })

    it('keeps to options OpenVPN 2.5 to 2.7 take without a deprecation warning', () => {
      // ncp-ciphers is the old alias of data-ciphers; cipher and auth only served peers older than 2.4.
      for (const old of ['ncp-ciphers', 'cipher', 'auth', 'comp-lzo', 'compress']) {
        assert.ok(!lines.some((l) => l.split(' ')[0] === old), old)
      }
    })

    it('opens the management interface on loopback only, with a password file in the run dir', () => {
      assert.ok(lines.includes('management 127.0.0.1 8406 run/openvpn-mgmt.pw'))
    })

    it('trusts the CAs of its trust ConfigMap and waits for hold release on a restart (key files reloaded in place)', () => {
      assert.ok(lines.includes('ca trust/ca.crt'), 'the trust bundle, not the Secret cert-manager may own')
      assert.ok(lines.includes('management-hold'))
    })

    it('admits registered CNs only, with revocation read from a directory on every connection', () => {
      assert.ok(lines.includes('client-config-dir ccd'))
      assert.ok(lines.includes('ccd-exclusive'))
      assert.ok(lines.includes('crl-verify crl dir'))
    })

    it('pushes no route and needs no forwarding', () => {
      assert.ok(!lines.some((l) => /^push "(route |redirect-gateway|dhcp-option)/.test(l)))
      assert.ok(!lines.some((l) => /^(route|client-to-client)/.test(l)))
    })

    it('writes a status file the parser reads, on a short interval', () => {
      assert.ok(lines.includes('status run/openvpn-status.log 10'))
      assert.ok(lines.includes('status-version 2'))
      assert.ok(lines.includes('keepalive 10 30'))
      assert.ok(lines.includes('reneg-sec 300'), 'a revoked client still connected is cut within 5 min')
    })

    it('differs between TCP and UDP only where the transport needs it', () => {
      const tcp = directives(renderServerFiles(registry(), {proto: 'tcp', port: 443}).openvpn[files.serverConf])
      assert.ok(tcp.includes('proto tcp-server') && tcp.includes('port 443') && tcp.includes('tcp-nodelay'))
      assert.ok(lines.includes('proto udp') && lines.includes('explicit-exit-notify 1'))
    })

    it('takes timers, verbosity and another network', () => {
      const custom = directives(
        renderServerFiles(registry(), {proto: 'udp', tunnelNetwork: '172.31.0.0/16', timers: {ping: 1, pingRestart: 4, statusInterval: 1, renegSec: 60}, verbosity: 5})
          .openvpn[files.serverConf],
      )
      assert.ok(custom.includes('server 172.31.0.0 255.255.0.0 nopool'))
      assert.ok(custom.includes('keepalive 1 4') && custom.includes('status run/openvpn-status.log 1') && custom.includes('verb 5'))
    })

    it('spells out the addressing for a server address other than the first host', () => {
      const custom = directives(renderServerFiles(registry(), {proto: 'udp', serverTunnelIP: '10.8.0.254'}).openvpn[files.serverConf])
      assert.ok(!custom.some((l) => l.startsWith('server ')))
      for (const l of ['mode server', 'tls-server', 'ifconfig 10.8.0.254 255.255.255.0', 'push "topology subnet"', 'push "route-gateway 10.8.0.254"']) {
        assert.ok(custom.includes(l), l)
      }
      const first = directives(renderServerFiles(registry(), {proto: 'udp', serverTunnelIP: '10.8.0.1'}).openvpn[files.serverConf])
      assert.ok(first.includes('server 10.8.0.0 255.255.255.0 nopool'))
      for (const bad of ['10.9.0.1', '10.8.0.0', '10.8.0.255']) {
        assert.throws(() => renderServerFiles(registry(), {proto: 'udp', serverTunnelIP: bad}), SvcgwError, bad)
      }
    })

    it('names every file relative to the layout root', () => assertRelativePaths(conf))
  })

  describe('client-config-dir and revocations', () => {
    const server = renderServerFiles(registry(), {proto: 'tcp'})

    it('gives each registered client its fixed address', () => {
      assert.deepEqual(server.ccd, {a: 'ifconfig-push 10.8.0.10 255.255.255.0\n', b: 'ifconfig-push 10.8.0.11 255.255.255.0\n'})
    })

    it('names each revoked serial in decimal, as crl-verify dir looks it up', () => {
      assert.equal(serialToDecimal('ff'), '255')
      assert.equal(BigInt('0xff00ff00ff00ff00ff00ff00ff00ff01').toString(), '338958311018522360492699998064329424641')
      assert.deepEqual(server.crl, {'338958311018522360492699998064329424641': ''})
      assert.equal(serialToDecimal('ff00ff00ff00ff00ff00ff00ff00ff01'), '338958311018522360492699998064329424641')
    })

    it('renders empty directories for an empty registry', () => {
      const empty = renderServerFiles({services: [], clients: [], revoked: []}, {proto: 'udp'})
      assert.deepEqual([empty.ccd, empty.crl], [{}, {}])
    })
  })

  describe('HAProxy server', () => {
    const cfg = renderServerFiles(registry(), {proto: 'udp'}).haproxy[files.haproxyCfg]
    const lines = directives(cfg).map((l) => l.trim())

    it('leaves master-worker to the command line (the keyword is gone in 3.5), with an admin socket and a pid file in the run dir', () => {
      assert.ok(!lines.includes('master-worker'))
      assert.ok(lines.includes('stats socket unix@run/haproxy.sock mode 600 level admin expose-fd listeners'))
      assert.ok(lines.includes('pidfile run/haproxy.pid'))
    })

    it('has one TCP frontend per exposed service on its internalPort', () => {
      assert.ok(lines.includes('mode tcp'))
      assert.match(cfg, /frontend fe-web\n {2}bind :20000\n {2}default_backend be-web\n/)
      assert.match(cfg, /frontend fe-api\n {2}bind :20001\n {2}default_backend be-api\n/)
    })

    it('gives no two sections one name (HAProxy 3.3+ refuses a frontend and a backend that share one)', () => {
      const names = lines.filter((l) => /^(frontend|backend|listen) /.test(l)).map((l) => l.split(' ')[1])
      assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [])
    })

    it('leaves the stop deadline to haproxy-run.sh: hard-stop-after would also cut connections held across a reload', () => {
      assert.ok(!lines.some((l) => l.startsWith('hard-stop-after')))
    })

    it('has one health-checked server per client that serves the service, at tunnelIP:internalPort', () => {
      const web = cfg.split('\nbackend be-web')[1].split('\n\n')[0]
      assert.match(web, /server a 10\.8\.0\.10:20000$/m)
      assert.match(web, /server b 10\.8\.0\.11:20000$/m)
      const api = cfg.split('\nbackend be-api')[1].split('\n\n')[0]
      assert.ok(!api.includes('server a '), 'api is served by b only')
      assert.match(api, /server b 10\.8\.0\.11:20001$/m)
      // The health path keeps its first name: servers and clients are re-rendered at different times.
      assert.match(web, /option httpchk GET \/svc-web\n/)
      // What every service backend shares is said once, in the defaults section before them.
      const shared = cfg.split('\ndefaults\n')[2].split('\n\n')[0]
      assert.ok(cfg.indexOf('\ndefaults\n', cfg.indexOf('frontend stats')) < cfg.indexOf('frontend fe-web'), 'the service defaults come before the services')
      for (const option of ['check', 'port 8405', 'inter 1000', 'fall 2', 'rise 1', 'observe layer4', 'on-error mark-down', 'tcp-ut 20s', 'init-addr none']) {
        assert.match(shared, new RegExp(`default-server .*\\b${option}\\b`), option)
      }
      // Cutting sessions when a client goes down also cut the one being redispatched (the data-plane suite shows it).
      assert.doesNotMatch(cfg, /shutdown-sessions/)
      assert.match(shared, /option srvtcpka\n/)
      assert.match(shared, /balance roundrobin/)
      assert.match(shared, /option redispatch 1/)
      // Half a second per dead client: during a server reload a request meets every client before the hold.
      assert.match(shared, /timeout connect 500ms\n/)
    })

    it('holds a request while every client of a service is down, in one section for all services (a line per service and per client)', () => {
      for (const name of ['web', 'api']) {
        const backend = cfg.split(`\nbackend be-${name}`)[1].split('\n\n')[0]
        assert.match(backend, /^ {2}server reload_hold abns@svcgw-hold backup no-check send-proxy-v2$/m, name)
      }
      const holds = cfg.split('\n\n').filter((s) => s.startsWith('listen hold'))
      assert.equal(holds.length, 1)
      // Port-less servers: HAProxy connects to the port the PROXY header names, the service's internalPort.
      assert.deepEqual(holds[0].split('\n').slice(1), [
        '  bind abns@svcgw-hold accept-proxy',
        '  option redispatch 1',
        // Six attempts of 500 ms, and one for client a, which does not serve api and refuses it.
        '  retries 7',
        '  timeout connect 500ms',
        '  server a 10.8.0.10 no-check',
        '  server b 10.8.0.11 no-check',
      ])
      const holdOf = (services: number, clients: number) => {
        const r = emptyRegistry()
        for (let i = 0; i < clients; i++) r.clients.push({name: `c${i}`, tunnelIP: `10.8.0.${10 + i}`, serial: `s${i}`, notAfter: ''})
        for (let i = 0; i < services; i++) r.services.push({name: `s${i}`, port: 80, internalPort: 20_000 + i, clientService: {name: 'web', namespace: 'default', port: 80}})
        return renderServerHaproxy(r).split('\n\n').find((s) => s.startsWith('listen hold'))!
      }
      assert.equal(holdOf(100, 5), holdOf(10, 5), 'the hold does not grow with the services')
      assert.match(holdOf(10, 5), /retries 6\n/, 'every client serves every service: no attempt is spent on a refusal')
      assert.equal(holdOf(10, 20).split('\n').filter((l) => l.startsWith('  server ')).length, 20)
    })

    it('takes leastconn and shorter checks', () => {
      const custom = renderServerFiles(registry(), {proto: 'udp', balance: 'leastconn', checks: {interMs: 500, fall: 3}}).haproxy[files.haproxyCfg]
      assert.match(custom, /balance leastconn/)
      assert.match(custom, /default-server check port 8405 inter 500 fastinter 250 downinter 500 fall 3 /)
    })

    it('renders a config without services: no service sections, an empty tunnels backend', () => {
      const empty = renderServerFiles({services: [], clients: [], revoked: []}, {proto: 'udp'}).haproxy[files.haproxyCfg]
      assert.ok(!empty.includes('backend be-') && !empty.includes('frontend fe-'))
      assert.match(empty, /^backend tunnels$/m)
    })

    it('names every file relative to the layout root', () => assertRelativePaths(cfg))
  })

  describe('client', () => {
    const options = {clientName: 'a', serverAddress: 'gw.example.com', serverPort: 31194, proto: 'tcp' as const, serverName: 'svcgw-server'}

    it('dials the server, verifies its name and refuses pushed routes', () => {
      const lines = directives(renderClientFiles(registry(), options).openvpn[files.clientConf])
      for (const l of [
        'client',
        'proto tcp-client',
        'remote gw.example.com 31194',
        'remote-cert-tls server',
        'verify-x509-name svcgw-server name',
        'tls-version-min 1.2',
        'tls-crypt tls-crypt/tls-crypt.key',
        'pull-filter ignore "route"',
        'pull-filter ignore "redirect-gateway"',
        'resolv-retry infinite',
        'ca tls/ca.crt',
        // Back within a second after the server reloads its key files in place.
        'connect-retry 1 1',
      ]) {
        assert.ok(lines.includes(l), l)
      }
      assert.ok(!lines.includes('management-hold'), 'only the server holds on a restart')
      assertRelativePaths(lines.join('\n'))
    })

    it('proxies each service it serves to the provider Service by cluster DNS, resolved at run time', () => {
      const a = renderClientFiles(registry(), options).haproxy[files.haproxyCfg]
      assert.match(a, /resolvers cluster\n {2}parse-resolv-conf\n/)
      assert.match(a, /frontend fe-web\n {2}bind :20000\n {2}default_backend be-web\n/)
      assert.match(a, /server target nginx\.shop\.svc\.cluster\.local:8080\n/)
      assert.match(a, /default-server check inter 1000 downinter 1000 fall 2 rise 1 resolvers cluster init-addr last,libc,none\n/)
      assert.ok(!a.includes('-api'), 'a does not serve api')
      const b = renderClientFiles(registry(), {...options, clientName: 'b', clusterDomain: 'corp.internal'}).haproxy[files.haproxyCfg]
      assert.match(b, /server target api\.default\.svc\.corp\.internal:9000\n/)
    })

    it('answers the server\'s checks per service on the health port: up only while the provider Service passes its checks', () => {
      const a = renderClientFiles(registry(), options).haproxy[files.haproxyCfg]
      const health = a.split('frontend health\n')[1].split('\n\n')[0]
      assert.match(health, /bind :8405\n/)
      assert.match(health, /http-request return status 200 .* if \{ path \/svc-web \} \{ nbsrv\(be-web\) gt 0 \}/)
      assert.ok(!health.includes('svc-api'), 'only the services a serves')
      assert.match(health, /http-request return status 503 [^\n]*$/)
    })

    it('takes a fixed address instead of DNS when the caller resolves', () => {
      const cfg = renderClientFiles(registry(), {...options, resolveService: (s) => `127.0.0.1:${s.port}`}).haproxy[files.haproxyCfg]
      assert.match(cfg, /server target 127\.0\.0\.1:8080\n/)
      assert.match(cfg, /default-server check inter 1000 downinter 1000 fall 2 rise 1\n/)
      assert.ok(!cfg.includes('resolvers'))
    })
  })

  describe('checked by the real haproxy', function () {
    before(function () {
      if (!has('haproxy')) this.skip()
    })

    it('accepts the rendered server and client configs (haproxy -c, from the layout root)', () => {
      const root = mkdtempSync(join(tmpdir(), 'svcgw-cfg-'))
      try {
        mkdirSync(join(root, 'run'))
        const configs = {
          server: renderServerFiles(registry(), {proto: 'udp'}).haproxy[files.haproxyCfg],
          client: renderClientFiles(registry(), {clientName: 'b', serverAddress: 'x', serverPort: 1, proto: 'udp', serverName: 's'}).haproxy[
            files.haproxyCfg
          ],
        }
        for (const [name, cfg] of Object.entries(configs)) {
          writeFileSync(join(root, `${name}.cfg`), cfg)
          const check = spawnSync('haproxy', ['-c', '-f', `${name}.cfg`], {cwd: root, encoding: 'utf8'})
          assert.equal(check.status, 0, `${name}: ${check.stdout}${check.stderr}`)
        }
      } finally {
        rmSync(root, {recursive: true, force: true})
      }
    })
  })

  describe('scripts', () => {
    const scripts = scriptFiles()

    it('ships the entrypoints, the reload watcher and the probes', () => {
      assert.deepEqual(Object.keys(scripts).sort(), [
        'haproxy-run.sh',
        'haproxy-stats.sh',
        'openvpn-kick.sh',
        'openvpn-mgmt.sh',
        'openvpn-ready.sh',
        'openvpn-run.sh',
        'tun.sh',
      ])
      for (const [name, body] of Object.entries(scripts)) assert.ok(body.startsWith('#!/bin/sh\n'), name)
    })

    for (const shell of ['sh', 'busybox sh']) {
      it(`parses with ${shell}`, function () {
        if (!has(shell.split(' ')[0])) this.skip()
        for (const [name, body] of Object.entries(scripts)) {
          const check = spawnSync('sh', ['-c', `${shell} -n`], {input: body, encoding: 'utf8'})
          assert.equal(check.status, 0, `${name}: ${check.stderr}`)
        }
      })
    }
  })

})

describe('proxy config IDs and the tunnels backend', () => {
  const registry = (): Registry => {
    const r = emptyRegistry()
    r.clients.push({name: 'b', tunnelIP: '10.8.0.10', serial: 'aa', notAfter: '2030-01-01T00:00:00Z'})
    r.services.push({name: 'web', port: 80, internalPort: 20_000, clientService: {name: 'web', namespace: 'default', port: 80}})
    return r
  }
  const idOf = (cfg: string) => /string ([0-9a-f]{16}) if \{ path \/config-id \}/.exec(cfg)?.[1]

  it('every config answers its own ID on the stats frontend, and the ID follows the content', () => {
    const server = renderServerHaproxy(registry())
    const client = renderClientHaproxy(registry(), {clientName: 'b', clusterDomain: 'cluster.local'})
    const statsFrontend = server.split('\n\n').find((s) => s.startsWith('frontend stats'))!
    assert.match(statsFrontend, /http-request return status 200 content-type text\/plain string [0-9a-f]{16} if \{ path \/config-id \}/)
    assert.ok(idOf(server) && idOf(client))
    assert.equal(idOf(renderServerHaproxy(registry())), idOf(server), 'the same registry gives the same ID')
    const more = registry()
    more.services.push({name: 'api', port: 80, internalPort: 20_001, clientService: {name: 'api', namespace: 'default', port: 80}})
    assert.notEqual(idOf(renderServerHaproxy(more)), idOf(server))
  })

  it('the server checks every client across its tunnel in a backend of its own', () => {
    const cfg = renderServerHaproxy(registry())
    const tunnels = cfg.split('\n\n').find((s) => s.startsWith('backend tunnels'))!
    assert.match(tunnels, /^\s+server b 10\.8\.0\.10:8405$/m)
    // Checked by the defaults of the service sections before it: a TCP check of the health port.
    assert.ok(cfg.lastIndexOf('\ndefaults\n') < cfg.indexOf('backend tunnels'))
  })
})

describe('a revoked client', () => {
  it('gets no traffic from the server, while its tunnel is still watched', () => {
    const r = emptyRegistry()
    r.clients.push({name: 'b', tunnelIP: '10.8.0.10', serial: 'aa', notAfter: ''}, {name: 'c', tunnelIP: '10.8.0.11', serial: 'bb', notAfter: ''})
    r.services.push({name: 'web', port: 80, internalPort: 20_000, clientService: {name: 'web', namespace: 'default', port: 80}})
    r.revoked.push({serial: 'bb', commonName: 'c', revokedAt: ''})
    const cfg = renderServerHaproxy(r)
    const web = cfg.split('\n\n').find((s) => s.startsWith('backend be-web'))!
    assert.match(web, /server b 10\.8\.0\.10:20000/)
    assert.doesNotMatch(web, /server c /)
    assert.match(cfg.split('\n\n').find((s) => s.startsWith('backend tunnels'))!, /server c 10\.8\.0\.11:8405/)
    assert.doesNotMatch(cfg.split('\n\n').find((s) => s.startsWith('listen hold'))!, /server c /, 'nor through the hold')
  })
})

describe('health checks that scale', () => {
  it('keep a proxy at about 250 checks a second however many services × clients it checks', () => {
    assert.equal(checkInterval(10, 1000), 1000)
    assert.equal(checkInterval(250, 1000), 1000)
    assert.equal(checkInterval(20_000, 1000), 80_000)
    const r = emptyRegistry()
    for (let i = 0; i < 20; i++) r.clients.push({name: `c${i}`, tunnelIP: `10.8.0.${10 + i}`, serial: `s${i}`, notAfter: ''})
    for (let i = 0; i < 100; i++) r.services.push({name: `s${i}`, port: 80, internalPort: 20_000 + i, clientService: {name: 'web', namespace: 'default', port: 80}})
    const cfg = renderServerHaproxy(r)
    assert.match(cfg, /default-server check port 8405 inter 8000 /, '2000 pairs: every 8 s')
    assert.match(cfg, /backend tunnels\n {2}default-server check port 8405 inter 1000 /, 'tunnels stay at a second')
  })

  it('check a down pair no more often than an up one: services whose providers are all down stay within the budget', () => {
    const r = emptyRegistry()
    r.clients.push({name: 'c0', tunnelIP: '10.8.0.10', serial: 's0', notAfter: ''})
    for (let i = 0; i < 1000; i++) r.services.push({name: `s${i}`, port: 80, internalPort: 20_000 + i, clientService: {name: 'web', namespace: 'default', port: 80}})
    assert.match(renderServerHaproxy(r), /default-server check port 8405 inter 4000 fastinter 500 downinter 4000 /)
    assert.match(renderClientHaproxy(r, {clientName: 'c0', clusterDomain: 'cluster.local'}), /default-server check inter 4000 downinter 4000 /)
  })

  it("log nothing per check on a client's health port (hundreds a second on a large gateway)", () => {
    const r = emptyRegistry()
    r.clients.push({name: 'c0', tunnelIP: '10.8.0.10', serial: 's0', notAfter: ''})
    r.services.push({name: 'web', port: 80, internalPort: 20_000, clientService: {name: 'web', namespace: 'default', port: 80}})
    const health = renderClientHaproxy(r, {clientName: 'c0', clusterDomain: 'cluster.local'}).split('frontend health\n')[1].split('\n\n')[0]
    // Before any answer: HAProxy runs http-request rules in order, and a return ends them.
    assert.match(health, /mode http\n {2}http-request set-log-level silent\n[\s\S]*http-request return status 200/)
  })
})
