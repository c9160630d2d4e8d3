import {strict as assert} from 'node:assert'

import type {NetworkPolicy} from '../../../src/kube/object.js'
import {verdictOf, walk} from '../../../src/gateway/doctor/index.js'
import type {Hop} from '../../../src/gateway/doctor/model.js'
import {crashLines, dialedAddress, lastConnectionError, saysConnected} from '../../../src/gateway/doctor/logs.js'
import {type Connection, evaluate, inCidr, selects} from '../../../src/gateway/doctor/netpol.js'
import {parseProbes, probeScript} from '../../../src/gateway/doctor/probe.js'
import {parseLookups} from '../../../src/gateway/doctor/provider.js'

const policy = (name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name, namespace: 'svcgw'}, spec})

const egressToServer: Connection = {
  direction: 'egress',
  namespace: 'svcgw',
  podLabels: {'app.kubernetes.io/name': 'svcgw', 'app.kubernetes.io/component': 'client'},
  peer: {what: 'the server', ip: '100.64.3.10'},
  port: 31194,
  protocol: 'TCP',
}

describe('doctor: NetworkPolicies read (the semantics of the API)', () => {
  it('selectors: matchLabels and every matchExpressions operator; an empty selector selects all', () => {
    assert.ok(selects({}, {a: '1'}))
    assert.ok(selects({matchLabels: {a: '1'}}, {a: '1', b: '2'}))
    assert.ok(!selects({matchLabels: {a: '2'}}, {a: '1'}))
    assert.ok(selects({matchExpressions: [{key: 'a', operator: 'In', values: ['1', '2']}]}, {a: '2'}))
    assert.ok(selects({matchExpressions: [{key: 'a', operator: 'NotIn', values: ['1']}]}, {}))
    assert.ok(!selects({matchExpressions: [{key: 'a', operator: 'Exists'}]}, {}))
    assert.ok(selects({matchExpressions: [{key: 'a', operator: 'DoesNotExist'}]}, {b: '1'}))
  })

  it('CIDRs', () => {
    assert.equal(inCidr('100.64.3.10', '100.64.3.0/24'), true)
    assert.equal(inCidr('100.64.4.10', '100.64.3.0/24'), false)
    assert.equal(inCidr('1.2.3.4', '0.0.0.0/0'), true)
    assert.equal(inCidr('gw.example.com', '0.0.0.0/0'), undefined)
  })

  it('no policy, or none selecting the pod for that direction: allowed', () => {
    assert.equal(evaluate([], egressToServer).verdict, 'allowed')
    assert.equal(evaluate([policy('ingress-only', {podSelector: {}, policyTypes: ['Ingress']})], egressToServer).verdict, 'allowed')
    assert.equal(evaluate([policy('other-pods', {podSelector: {matchLabels: {app: 'web'}}, policyTypes: ['Egress']})], egressToServer).verdict, 'allowed')
  })

  it('a default-deny egress policy denies, and is named', () => {
    const v = evaluate([policy('deny-egress', {podSelector: {}, policyTypes: ['Egress']})], egressToServer)
    assert.deepEqual(v, {verdict: 'denied', policies: ['deny-egress']})
  })

  it('a rule allowing the address and port lets it through; the wrong port or protocol does not', () => {
    const allow = (port: number, protocol = 'TCP') => policy('allow', {podSelector: {}, policyTypes: ['Egress'], egress: [{to: [{ipBlock: {cidr: '100.64.3.0/24'}}], ports: [{port, protocol}]}]})
    assert.equal(evaluate([allow(31194)], egressToServer).verdict, 'allowed')
    assert.equal(evaluate([allow(1194)], egressToServer).verdict, 'denied')
    assert.equal(evaluate([allow(31194, 'UDP')], egressToServer).verdict, 'denied')
    const except = policy('except', {podSelector: {}, egress: [{to: [{ipBlock: {cidr: '100.64.0.0/16', except: ['100.64.3.0/24']}}]}]})
    assert.equal(evaluate([except], egressToServer).verdict, 'denied')
  })

  it('pod and namespace selectors match pods only; an address outside the cluster is never one of them', () => {
    const toPods = policy('to-pods', {podSelector: {}, egress: [{to: [{namespaceSelector: {}}]}]})
    assert.equal(evaluate([toPods], egressToServer).verdict, 'denied')
    const toDns: Connection = {...egressToServer, peer: {what: 'DNS', namespace: 'kube-system', namespaceLabels: {'kubernetes.io/metadata.name': 'kube-system'}, podLabels: {'k8s-app': 'kube-dns'}}, port: 53, protocol: 'UDP'}
    const dnsOk = policy('dns', {podSelector: {}, egress: [{to: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'kube-system'}}, podSelector: {matchLabels: {'k8s-app': 'kube-dns'}}}], ports: [{port: 53, protocol: 'UDP'}]}]})
    assert.equal(evaluate([dnsOk], toDns).verdict, 'allowed')
    // A podSelector without a namespaceSelector means the policy's own namespace.
    const sameNs = policy('same-ns', {podSelector: {}, egress: [{to: [{podSelector: {matchLabels: {'k8s-app': 'kube-dns'}}}]}]})
    assert.equal(evaluate([sameNs], toDns).verdict, 'denied')
  })

  it('named ports, and a peer doctor cannot place (consumers): unknown rather than a guess', () => {
    const named = policy('named', {podSelector: {}, policyTypes: ['Ingress'], ingress: [{ports: [{port: 'http'}]}]})
    const ingress: Connection = {direction: 'ingress', namespace: 'app', podLabels: {app: 'web'}, peer: {what: 'client', namespace: 'svcgw', podLabels: {}}, port: 8080, portName: 'http', protocol: 'TCP'}
    assert.equal(evaluate([named], ingress).verdict, 'allowed')
    const someone = policy('from-frontend', {podSelector: {}, policyTypes: ['Ingress'], ingress: [{from: [{podSelector: {matchLabels: {role: 'frontend'}}}]}]})
    assert.equal(evaluate([someone], {...ingress, peer: {what: 'consumers', anyone: true}}).verdict, 'unknown')
  })
})

describe("doctor: an OpenVPN client's log (OpenVPN 2.6's own lines)", () => {
  const log = (...lines: string[]) => lines.map((l) => `2026-11-26 16:06:11 ${l}`).join('\n')

  it('a refused connection, with the address it dialed; management lines are not it', () => {
    const text = log(
      'TCP/UDP: Preserving recently used remote address: [AF_INET]100.64.131.11:1194',
      'Attempting to establish TCP connection with [AF_INET]100.64.131.11:1194',
      'TCP: connect to [AF_INET]100.64.131.11:1194 failed: Connection refused',
      'MANAGEMENT: Client connected from [AF_INET]127.0.0.1:41382',
    )
    assert.deepEqual(lastConnectionError(text), {kind: 'refused', line: 'TCP: connect to [AF_INET]100.64.131.11:1194 failed: Connection refused', address: '100.64.131.11:1194'})
    assert.equal(dialedAddress(text), '100.64.131.11:1194')
  })

  it('AUTH_FAILED, a handshake the server resets, a timeout; nothing after a completed session', () => {
    assert.equal(lastConnectionError(log('AUTH: Received control message: AUTH_FAILED'))?.kind, 'auth-failed')
    // The reset that follows a refusal is not the cause: the attempt's most telling error is.
    const refused = log('TCP connection established with [AF_INET]100.64.1.10:31194', 'AUTH: Received control message: AUTH_FAILED', 'Connection reset, restarting [0]', 'SIGUSR1[soft,connection-reset] received, process restarting')
    assert.equal(lastConnectionError(refused)?.kind, 'auth-failed')
    assert.equal(lastConnectionError(log('VERIFY OK: depth=0, CN=svcgw-server', 'Connection reset, restarting [0]'))?.kind, 'reset')
    assert.equal(lastConnectionError(log('TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)'))?.kind, 'timeout')
    assert.equal(lastConnectionError(log('TCP: connect to [AF_INET]1.2.3.4:1194 failed: Connection refused', 'Initialization Sequence Completed')), undefined)
    assert.ok(saysConnected(log('Initialization Sequence Completed', 'MANAGEMENT: CMD \'state\'')))
    assert.ok(!saysConnected(log('Initialization Sequence Completed', 'Connection reset, restarting [0]')))
  })

  it("a crashed container's telling lines", () => {
    const text = log('OpenVPN 2.6.14 x86_64-pc-linux-gnu', "Options error: Unrecognized option or missing or extra parameter(s) in openvpn/server.conf:5: bogus-option (2.6.14)", 'Use --help for more information.')
    assert.deepEqual(crashLines(text), ['Options error: Unrecognized option or missing or extra parameter(s) in openvpn/server.conf:5: bogus-option (2.6.14)'])
  })
})

describe('doctor: probe and lookup output (as busybox prints it in the gateway image)', () => {
  it('the probe script runs every target at once and the results parse back', () => {
    const script = probeScript([{id: 'fe.web', host: '127.0.0.1', port: 20000, hostHeader: 'web.svcgw'}], 'tcp')
    assert.match(script, /nc -w 2 127\.0\.0\.1 20000 -e busybox sh -c/)
    assert.match(script, /\nwait$/)
    const out = [
      '@@fe.web tcp t0=1000000000 @c=1004000000 r=1 e=2004500000',
      '@@cl.web.b tcp t0=1000000000 @c=1003000000 r=1 e=1004000000',
      "@@cl.web.c tcp t0=1000000000 nc: can't connect to remote host (10.8.0.12): Connection refused",
      '@@fe.api http t0=1000000000 e=1012500000 HTTP/1.1 200 OK',
    ].join('\n')
    const r = parseProbes(out)
    assert.deepEqual(r.get('fe.web'), {id: 'fe.web', ok: true, latencyMs: 4, detail: 'connected, held open 1 s'})
    assert.equal(r.get('cl.web.b')?.ok, false)
    assert.match(r.get('cl.web.b')!.detail, /closed by the gateway after 1 ms/)
    assert.deepEqual(r.get('cl.web.c'), {id: 'cl.web.c', ok: false, detail: "can't connect to remote host (10.8.0.12): Connection refused"})
    assert.deepEqual(r.get('fe.api'), {id: 'fe.api', ok: true, latencyMs: 12.5, detail: 'HTTP/1.1 200 OK'})
  })

  it('nslookup answers and failures', () => {
    const out = [
      '@@svcgw-lookup web.app.svc.cluster.local',
      'Server:\t\t10.96.0.10',
      'Address:\t10.96.0.10:53',
      '',
      'Name:\tweb.app.svc.cluster.local',
      'Address: 10.96.12.34',
      '',
      '@@rc=0',
      '@@svcgw-lookup gone.app.svc.cluster.local',
      "** server can't find gone.app.svc.cluster.local: NXDOMAIN",
      '@@rc=1',
      '@@svcgw-lookup slow.app.svc.cluster.local',
      '@@rc=124',
    ].join('\n')
    const r = parseLookups(out)
    assert.deepEqual(r.get('web.app.svc.cluster.local'), {addresses: ['10.96.12.34']})
    assert.match(r.get('gone.app.svc.cluster.local')!.error!, /NXDOMAIN/)
    assert.equal(r.get('slow.app.svc.cluster.local')!.error, 'no answer within 2 s')
  })
})

describe('doctor: the walk', () => {
  const hop = (id: Hop['id'], state: Hop['state'], extra: Partial<Hop> = {}): Hop => ({id, title: id, state, detail: id, ...extra})

  it('stops after the first broken hop; a symptom does not stop it', async () => {
    const seen: string[] = []
    const check = (h: Hop) => () => (seen.push(h.id), h)
    const hops = await walk([
      check(hop('backend', 'fail', {symptom: true, cause: 'L4TOUT'})),
      check(hop('client-pod', 'ok')),
      check(hop('certificate', 'fail', {cause: 'expired', fix: 'rotate'})),
      check(hop('tunnel', 'ok')),
    ])
    assert.deepEqual(seen, ['backend', 'client-pod', 'certificate'])
    assert.equal(hops[0].symptom, true)
  })

  it('a symptom nothing further explains becomes the broken hop', async () => {
    const hops = await walk([() => hop('backend', 'fail', {symptom: true, cause: 'L7STS/503'}), () => hop('dns', 'ok')])
    assert.equal(hops[0].symptom, false)
    assert.ok(hops[0].fix)
  })

  it("verdict: broken on any ✗; a probe that went through proves the path despite a '?'; else '?' is unknown", () => {
    assert.equal(verdictOf([hop('tunnel', 'ok'), hop('dns', 'fail')]), 'broken')
    assert.equal(verdictOf([hop('certificate', 'unknown'), hop('probe', 'ok')]), 'ok')
    assert.equal(verdictOf([hop('certificate', 'unknown'), hop('probe', 'unknown')]), 'unknown')
    assert.equal(verdictOf([hop('tunnel', 'ok'), hop('dns', 'ok')]), 'ok')
  })
})
